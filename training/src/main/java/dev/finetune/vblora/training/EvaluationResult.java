package dev.finetune.vblora.training;

import java.util.List;
import java.util.Map;

/**
 * What {@link VbLora#evaluate} measured.
 *
 * @param examples the examples scored
 * @param metrics accuracy, f1, macro_f1 and mcc (classification) or pearson, spearman and mse (regression)
 * @param millis wall time of loading, encoding and scoring
 * @param warnings what the scoring noticed and went on with, e.g. an adapter stacked on a model that already has
 *     another merged in; empty when none
 */
public record EvaluationResult(long examples, Map<String, Double> metrics, double millis, List<String> warnings) {
  public EvaluationResult {
    metrics = Map.copyOf(metrics);
    warnings = List.copyOf(warnings);
  }
}
