package dev.finetune.vblora.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Holding out a validation fraction: exact sizes, stratified by class, reproducible from the seed. */
class TrainValidationSplitTest {
  /** 90 examples of class 0, 9 of class 1, 1 of class 2, interleaved; line = index + 1. */
  private static Dataset imbalanced() {
    List<Example> examples = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      int label = i % 10 != 0 ? 0 : (i == 50 ? 2 : 1);
      examples.add(new Example(i + 1, "text " + i, null, label));
    }
    return new Dataset(Path.of("mem.tsv"), Task.CLASSIFICATION, LabelSet.of(List.of("0", "1", "2")), examples);
  }

  private static Set<Integer> lines(Dataset d) {
    return d.examples().stream().map(Example::line).collect(Collectors.toSet());
  }

  @Test
  void splitsIntoDisjointPartsThatCoverTheData() {
    var split = TrainValidationSplit.split(imbalanced(), 0.2, 1);
    assertEquals(80, split.train().size());
    assertEquals(20, split.validation().size());
    Set<Integer> all = new HashSet<>(lines(split.train()));
    all.addAll(lines(split.validation()));
    assertEquals(100, all.size());
  }

  @Test
  void eachClassGivesItsShare() {
    var split = TrainValidationSplit.split(imbalanced(), 0.2, 1);
    // 20 of 100: 18 of the 90, 1.8 -> 2 of the 9 (largest remainder), 0.2 -> 0 of the single one
    assertArrayEquals(new int[] {18, 2, 0}, split.validation().classCounts());
    assertArrayEquals(new int[] {72, 7, 1}, split.train().classCounts());
  }

  @Test
  void bothSidesKeepFileOrder() {
    var split = TrainValidationSplit.split(imbalanced(), 0.3, 5);
    for (Dataset side : List.of(split.train(), split.validation())) {
      int[] order = side.examples().stream().mapToInt(Example::line).toArray();
      assertArrayEquals(order.clone(), Arrays.stream(order).sorted().toArray());
    }
  }

  @Test
  void theSeedDecidesWhichExamples() {
    assertEquals(lines(TrainValidationSplit.split(imbalanced(), 0.2, 1).validation()),
        lines(TrainValidationSplit.split(imbalanced(), 0.2, 1).validation()));
    assertNotEquals(lines(TrainValidationSplit.split(imbalanced(), 0.2, 1).validation()),
        lines(TrainValidationSplit.split(imbalanced(), 0.2, 2).validation()));
  }

  @Test
  void regressionSplitsAtRandom() {
    List<Example> examples = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      examples.add(new Example(i + 1, "t", null, i * 0.5f));
    }
    var split = TrainValidationSplit.split(new Dataset(Path.of("r.tsv"), Task.REGRESSION, null, examples), 0.25, 3);
    assertEquals(3, split.validation().size(), "round(0.25 x 10) = 3 (2.5 rounds up)");
    assertEquals(7, split.train().size());
  }

  @Test
  void bothSidesGetAtLeastOneExample() {
    var split = TrainValidationSplit.split(imbalanced(), 0.001, 1);
    assertEquals(1, split.validation().size());
    assertEquals(1, TrainValidationSplit.split(imbalanced(), 0.999, 1).train().size());
  }

  @Test
  void refusesFractionsOutsideZeroOneAndTooFewExamples() {
    assertThrows(IllegalArgumentException.class, () -> TrainValidationSplit.split(imbalanced(), 0, 1));
    assertThrows(IllegalArgumentException.class, () -> TrainValidationSplit.split(imbalanced(), 1, 1));
    Dataset one = imbalanced().subset(new int[] {0});
    DataFileException e = assertThrows(DataFileException.class, () -> TrainValidationSplit.split(one, 0.5, 1));
    assertTrue(e.getMessage().contains("separate validation file"), e.getMessage());
  }
}
