package dev.finetune.vblora.training.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class BestCheckpointRuleTest {

  @ParameterizedTest(name = "{0}: {1} beats {2}? {3}")
  @CsvSource({
      "accuracy, 0.9, 0.8, true",
      "accuracy, 0.8, 0.9, false",
      "accuracy, 0.8, 0.8, false",
      "mcc, 0.1, -0.2, true",
      "pearson, NaN, 0.1, false",
      "spearman, 0.1, NaN, true",
      "mse, 0.2, 0.3, true",
      "mse, 0.3, 0.2, false",
      "loss, 1.5, 2.0, true",
  })
  void knownMetricsHaveTheirNaturalDirection(String metric, double candidate, double incumbent, boolean better) {
    assertEquals(better, BestCheckpointRule.of(metric).isBetter(candidate, incumbent));
  }

  @Test
  void unknownMetricNamesTheChoices() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BestCheckpointRule.of("auc"));
    assertTrue(e.getMessage().contains("accuracy") && e.getMessage().contains("mse"), e.getMessage());
  }

  @Test
  void readsItsMetricFromAnEvaluation() {
    BestCheckpointRule rule = BestCheckpointRule.forClassification();
    assertEquals(0.75, rule.valueIn(Map.of("accuracy", 0.75, "f1", 0.5)));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> BestCheckpointRule.forRegression().valueIn(Map.of("accuracy", 0.75)));
    assertTrue(e.getMessage().contains("pearson"), e.getMessage());
    assertFalse(BestCheckpointRule.of("mse").higherIsBetter());
  }
}
