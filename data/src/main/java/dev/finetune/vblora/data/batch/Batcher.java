package dev.finetune.vblora.data.batch;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.data.SeededPermutation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * Cuts an encoded dataset into padded batches, epoch by epoch. The batches of epoch e depend only on the
 * data, the options and e (never on what ran before), so a run resumed at (epoch, batch) sees exactly the
 * batches the interrupted run would have seen.
 */
public final class Batcher {
  private final EncodedDataset data;
  private final BatchingOptions options;

  public Batcher(EncodedDataset data, BatchingOptions options) {
    if (options.buckets().max() < data.longestExample()) {
      throw new VbLoraException("the largest length bucket " + options.buckets().max()
          + " is shorter than the longest example (" + data.longestExample() + " tokens); use buckets up to the"
          + " max length " + data.maxLength() + " the data was encoded with");
    }
    if (data.size() == 0) {
      throw new VbLoraException("there are no examples to batch");
    }
    this.data = data;
    this.options = options;
  }

  public int batchesPerEpoch() {
    int n = data.size();
    int full = n / options.batchSize();
    return options.dropLast() || n % options.batchSize() == 0 ? full : full + 1;
  }

  /**
   * The example indices of each batch of {@code epoch} (0-based), in the order they are to be used.
   * With dropLast and fewer examples than one batch, it is empty.
   */
  public int[][] plan(int epoch) {
    if (epoch < 0) {
      throw new VbLoraException("epoch " + epoch + " is negative; epochs count from 0");
    }
    int n = data.size();
    int[] order = options.shuffle() ? SeededPermutation.of(n, options.seed(), 2L * epoch)
        : SeededPermutation.identity(n);
    int batchSize = options.batchSize();
    if (options.lengthGroupingWindow() > 0) {
      sortWithinWindows(order, options.lengthGroupingWindow() * batchSize);
    }
    int[][] batches = new int[batchesPerEpoch()][];
    for (int b = 0; b < batches.length; b++) {
      batches[b] = Arrays.copyOfRange(order, b * batchSize, Math.min(n, (b + 1) * batchSize));
    }
    if (options.lengthGroupingWindow() > 0) {
      int[] batchOrder = SeededPermutation.of(batches.length, options.seed(), 2L * epoch + 1);
      int[][] shuffled = new int[batches.length][];
      for (int b = 0; b < batches.length; b++) {
        shuffled[b] = batches[batchOrder[b]];
      }
      batches = shuffled;
    }
    return batches;
  }

  /** Batch {@code index} of {@code epoch}. */
  public Batch batch(int epoch, int index) {
    int[][] plan = plan(epoch);
    if (index < 0 || index >= plan.length) {
      throw new VbLoraException("batch " + index + " is outside 0.." + (plan.length - 1) + " of epoch "
          + epoch);
    }
    return assemble(plan[index]);
  }

  /** The batches of {@code epoch} from {@code firstBatch} on (0 for a whole epoch, more when resuming). */
  public Iterator<Batch> epoch(int epoch, int firstBatch) {
    int[][] plan = plan(epoch);
    if (firstBatch < 0 || firstBatch > plan.length) {
      throw new VbLoraException("cannot start epoch " + epoch + " at batch " + firstBatch + " of "
          + plan.length);
    }
    return new Iterator<>() {
      private int next = firstBatch;

      @Override
      public boolean hasNext() {
        return next < plan.length;
      }

      @Override
      public Batch next() {
        if (!hasNext()) {
          throw new NoSuchElementException("epoch " + epoch + " has " + plan.length + " batches");
        }
        return assemble(plan[next++]);
      }
    };
  }

  /** All batches of {@code epoch}, assembled. */
  public List<Batch> epoch(int epoch) {
    List<Batch> batches = new ArrayList<>(batchesPerEpoch());
    epoch(epoch, 0).forEachRemaining(batches::add);
    return batches;
  }

  /**
   * The examples at {@code indices} padded to the bucket of the longest of them; with full batches, followed by
   * padding rows (copies of the first example) up to the batch size.
   */
  public Batch assemble(int[] indices) {
    if (indices.length == 0) {
      throw new VbLoraException("a batch needs at least one example");
    }
    int longest = 0;
    for (int i : indices) {
      longest = Math.max(longest, data.get(i).length());
    }
    int length = options.buckets().paddedLength(longest);
    int rows = options.fullBatches() ? Math.max(options.batchSize(), indices.length) : indices.length;
    int[][] ids = new int[rows][length];
    int[][] mask = new int[rows][length];
    int[][] segments = new int[rows][length];
    float[] labels = new float[rows];
    Map<String, float[][]> features = new LinkedHashMap<>();
    data.get(indices[0]).features().keySet().forEach(key -> features.put(key, new float[rows][]));
    for (int row = 0; row < rows; row++) {
      EncodedExample e = data.get(indices[row < indices.length ? row : 0]);
      for (Map.Entry<String, float[][]> feature : features.entrySet()) {
        feature.getValue()[row] = e.features().get(feature.getKey());
      }
      System.arraycopy(e.inputIds(), 0, ids[row], 0, e.length());
      Arrays.fill(ids[row], e.length(), length, data.padId());
      System.arraycopy(e.segmentIds(), 0, segments[row], 0, e.length());
      Arrays.fill(mask[row], 0, e.length(), 1);
      labels[row] = e.label();
    }
    return new Batch(data.task(), indices.clone(), ids, mask, segments, labels, features);
  }

  private void sortWithinWindows(int[] order, int window) {
    Integer[] boxed = Arrays.stream(order).boxed().toArray(Integer[]::new);
    Comparator<Integer> byLength = Comparator.comparingInt(i -> data.get(i).length());
    for (int start = 0; start < boxed.length; start += window) {
      Arrays.sort(boxed, start, Math.min(boxed.length, start + window), byLength); // stable: ties keep order
    }
    for (int i = 0; i < order.length; i++) {
      order[i] = boxed[i];
    }
  }
}
