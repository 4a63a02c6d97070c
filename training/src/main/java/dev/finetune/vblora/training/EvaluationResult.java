package dev.finetune.vblora.training;

import java.util.Map;

/**
 * What {@link VbLora#evaluate} measured.
 *
 * @param examples the examples scored
 * @param metrics accuracy, f1 and mcc (classification) or pearson, spearman and mse (regression)
 * @param millis wall time of loading, encoding and scoring
 */
public record EvaluationResult(long examples, Map<String, Double> metrics, double millis) {
  public EvaluationResult {
    metrics = Map.copyOf(metrics);
  }
}
