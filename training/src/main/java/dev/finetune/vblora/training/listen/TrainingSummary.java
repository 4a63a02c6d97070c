package dev.finetune.vblora.training.listen;

import java.util.Map;

/**
 * How a run ended (the content of metrics.json's "best", "final" and "step_ms").
 *
 * @param steps optimizer steps completed
 * @param bestStep step of the best evaluation (-1 when there was none)
 * @param bestMetrics metrics of the best evaluation (empty when there was none)
 * @param finalMetrics metrics of the last evaluation (empty when there was none)
 * @param stepMillis median wall time of one training step in milliseconds
 */
public record TrainingSummary(long steps, long bestStep, Map<String, Double> bestMetrics,
    Map<String, Double> finalMetrics, double stepMillis) {

  public TrainingSummary {
    bestMetrics = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(bestMetrics));
    finalMetrics = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(finalMetrics));
  }
}
