package dev.finetune.vblora.data;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Holds out a fraction of a dataset for validation, reproducibly from a seed. Classification splits are
 * stratified: each class gives the same share of its examples (to within rounding), so that a rare class
 * is not left out of either side by chance. Both sides keep file order.
 */
public final class TrainValidationSplit {
  /** Seed streams of the split, kept apart from those of epoch shuffling. */
  private static final long STREAM_BASE = 1L << 40;

  private TrainValidationSplit() {}

  /** The two sides of a split. */
  public record Split(Dataset train, Dataset validation) {}

  /**
   * Moves round(fraction x size) examples to validation, at least one and leaving at least one.
   *
   * @param validFraction strictly between 0 and 1
   */
  public static Split split(Dataset data, double validFraction, long seed) {
    if (!(validFraction > 0 && validFraction < 1)) {
      throw new VbLoraException("the validation fraction must be between 0 and 1 (exclusive), got "
          + validFraction);
    }
    int n = data.size();
    if (n < 2) {
      throw new DataFileException(data.source(), "it has " + Counted.of(n, "example")
          + ", too few to hold out a validation part; give a separate validation file");
    }
    int validSize = (int) Math.min(n - 1, Math.max(1, Math.round(validFraction * n)));
    boolean[] valid = data.task() == Task.CLASSIFICATION
        ? stratified(data, validSize, seed) : random(n, validSize, seed);
    List<Integer> trainIdx = new ArrayList<>();
    List<Integer> validIdx = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      (valid[i] ? validIdx : trainIdx).add(i);
    }
    return new Split(data.subset(toArray(trainIdx)), data.subset(toArray(validIdx)));
  }

  private static boolean[] random(int n, int validSize, long seed) {
    int[] order = SeededPermutation.of(n, seed, STREAM_BASE);
    boolean[] valid = new boolean[n];
    for (int i = 0; i < validSize; i++) {
      valid[order[i]] = true;
    }
    return valid;
  }

  /**
   * Per class floor(share x count), then the examples still missing go to the classes with the largest
   * remainders (ties: lower class id), so the total is exactly {@code validSize}.
   */
  private static boolean[] stratified(Dataset data, int validSize, long seed) {
    int classes = data.labels().size();
    List<List<Integer>> members = new ArrayList<>();
    for (int c = 0; c < classes; c++) {
      members.add(new ArrayList<>());
    }
    for (int i = 0; i < data.size(); i++) {
      members.get(data.get(i).classId()).add(i);
    }
    double share = (double) validSize / data.size();
    int[] quota = new int[classes];
    double[] remainder = new double[classes];
    int assigned = 0;
    for (int c = 0; c < classes; c++) {
      double exact = share * members.get(c).size();
      quota[c] = (int) Math.floor(exact);
      remainder[c] = exact - quota[c];
      assigned += quota[c];
    }
    Integer[] byRemainder = new Integer[classes];
    Arrays.setAll(byRemainder, c -> c);
    Arrays.sort(byRemainder, (a, b) -> Double.compare(remainder[b], remainder[a])); // stable
    for (int k = 0; assigned < validSize; k = (k + 1) % classes) {
      int c = byRemainder[k];
      if (quota[c] < members.get(c).size()) {
        quota[c]++;
        assigned++;
      }
    }
    boolean[] valid = new boolean[data.size()];
    for (int c = 0; c < classes; c++) {
      List<Integer> m = members.get(c);
      int[] order = SeededPermutation.of(m.size(), seed, STREAM_BASE + 1 + c);
      for (int i = 0; i < quota[c]; i++) {
        valid[m.get(order[i])] = true;
      }
    }
    return valid;
  }

  private static int[] toArray(List<Integer> list) {
    return list.stream().mapToInt(Integer::intValue).toArray();
  }
}
