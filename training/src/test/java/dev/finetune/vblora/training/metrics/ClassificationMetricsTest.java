package dev.finetune.vblora.training.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ClassificationMetricsTest {

  @Test
  void binaryCountsWorkedByHand() {
    // tp = 2 (0, 4), tn = 1 (2), fn = 1 (1), fp = 1 (3)
    ClassificationMetrics m = ClassificationMetrics.compute(new int[] {1, 1, 0, 0, 1}, new int[] {1, 0, 0, 1, 1}, 2);
    assertEquals(5, m.examples());
    assertEquals(0.6, m.accuracy(), 1e-15);
    assertEquals(2.0 / 3, m.f1(), 1e-15, "F1 of class 1: 2tp / (2tp + fp + fn) = 4/6");
    assertEquals((0.5 + 2.0 / 3) / 2, m.macroF1(), 1e-15, "class 0 F1 = 2/4");
    assertEquals(1.0 / 6, m.mcc(), 1e-15, "(tp tn - fp fn) / sqrt(3 * 3 * 2 * 2)");
  }

  @Test
  void sklearnMatthewsDocstringExample() {
    // matthews_corrcoef([+1, +1, +1, -1], [+1, -1, +1, +1]) = -0.33..., with -1 -> 0 and +1 -> 1
    ClassificationMetrics m = ClassificationMetrics.compute(new int[] {1, 1, 1, 0}, new int[] {1, 0, 1, 1}, 2);
    assertEquals(-1.0 / 3, m.mcc(), 1e-15);
  }

  @Test
  void sklearnF1DocstringExample() {
    // f1_score([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1], average='macro') = 0.26... (per class 0.8, 0, 0)
    ClassificationMetrics m = ClassificationMetrics.compute(new int[] {0, 1, 2, 0, 1, 2},
        new int[] {0, 2, 1, 0, 0, 1}, 3);
    assertEquals(0.8 / 3, m.macroF1(), 1e-15);
    assertEquals(m.macroF1(), m.f1(), "more than two classes: f1 is the macro F1");
    assertEquals(2.0 / 6, m.accuracy(), 1e-15);
    // confusion rows [2 0 0] [1 0 1] [0 2 0]: c s - sum p t = 2*6 - (3*2 + 2*2 + 1*2) = 0
    assertEquals(0.0, m.mcc(), 1e-15);
  }

  @Test
  void multiclassMatthewsWorkedByHand() {
    // confusion rows [2 0 0] [0 1 1] [0 0 2]: t = (2,2,2), p = (2,1,3), c = 5, s = 6
    // (5*6 - (4+2+6)) / sqrt((36 - 14)(36 - 12)) = 18 / sqrt(528)
    ClassificationMetrics m = ClassificationMetrics.compute(new int[] {0, 0, 1, 1, 2, 2},
        new int[] {0, 0, 1, 2, 2, 2}, 3);
    assertEquals(18 / Math.sqrt(528), m.mcc(), 1e-15);
  }

  @Test
  void sklearnAccuracyDocstringExample() {
    assertEquals(0.5, ClassificationMetrics.compute(new int[] {0, 1, 2, 3}, new int[] {0, 2, 1, 3}, 4).accuracy());
  }

  @Test
  void undefinedCorrelationAndAbsentClassesScoreZero() {
    // every prediction is class 0: MCC's denominator is 0 (sklearn returns 0), class 1 has F1 0
    ClassificationMetrics m = ClassificationMetrics.compute(new int[] {0, 1, 0}, new int[] {0, 0, 0}, 2);
    assertEquals(0.0, m.mcc());
    assertEquals(0.0, m.f1());
    // macro over present classes {0, 1}: class 0 has tp 2, fp 1 -> 0.8
    assertEquals(0.4, m.macroF1(), 1e-15);
  }

  @Test
  void valuesUseStableNames() {
    ClassificationMetrics m = ClassificationMetrics.compute(new int[] {0, 1}, new int[] {0, 1}, 2);
    assertEquals(List.of("accuracy", "f1", "macro_f1", "mcc"), List.copyOf(m.values().keySet()));
    assertArrayEquals(new double[] {1, 1, 1, 1},
        m.values().values().stream().mapToDouble(Double::doubleValue).toArray());
  }

  @Test
  void rejectsInputsThatCannotBeScored() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ClassificationMetrics.compute(new int[] {0, 3}, new int[] {0, 1}, 2));
    assertTrue(e.getMessage().contains("label 3 of example 1"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> ClassificationMetrics.compute(new int[] {0}, new int[] {0, 1}, 2));
    assertThrows(IllegalArgumentException.class, () -> ClassificationMetrics.compute(new int[0], new int[0], 2));
  }
}
