package dev.finetune.vblora.training.metrics;

import java.util.Map;

/** Metrics of one evaluation pass, by stable snake_case names (the keys of logs and metrics.json). */
public sealed interface TaskMetrics permits ClassificationMetrics, RegressionMetrics {

  /** Number of examples evaluated. */
  long examples();

  /** Metric name to value, in a fixed order; a value is NaN where it is undefined (e.g. constant input). */
  Map<String, Double> values();
}
