package dev.finetune.vblora.training.listen;

import java.util.Map;

/**
 * One evaluation on the validation set.
 *
 * @param step optimizer steps completed when it ran
 * @param examples validation examples scored
 * @param metrics metric name to value (see TaskMetrics.values()), in a stable order
 * @param best whether this evaluation is the best so far by the run's best-checkpoint rule
 */
public record EvaluationReport(long step, long examples, Map<String, Double> metrics, boolean best) {

  public EvaluationReport {
    metrics = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(metrics));
  }
}
