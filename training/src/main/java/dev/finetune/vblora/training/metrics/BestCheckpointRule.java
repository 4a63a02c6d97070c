package dev.finetune.vblora.training.metrics;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Which evaluation metric picks the best checkpoint, and whether higher or lower is better.
 *
 * @param metric a key of {@link TaskMetrics#values()} (or "loss")
 * @param higherIsBetter true for accuracy, F1, MCC and correlations; false for losses and errors
 */
public record BestCheckpointRule(String metric, boolean higherIsBetter) {

  private static final Set<String> HIGHER = Set.of("accuracy", "f1", "macro_f1", "mcc", "pearson", "spearman");
  private static final Set<String> LOWER = Set.of("mse", "loss", "eval_loss");

  public BestCheckpointRule {
    Objects.requireNonNull(metric, "metric");
    if (metric.isBlank()) {
      throw new VbLoraException("the best-checkpoint metric needs a name, e.g. accuracy or mse");
    }
  }

  /** The rule for a known metric name, with its natural direction. */
  public static BestCheckpointRule of(String metric) {
    if (HIGHER.contains(metric)) {
      return new BestCheckpointRule(metric, true);
    }
    if (LOWER.contains(metric)) {
      return new BestCheckpointRule(metric, false);
    }
    throw new VbLoraException("unknown metric \"" + metric + "\" for choosing the best checkpoint;"
        + " use one of " + new java.util.TreeSet<>(HIGHER) + " (higher is better) or "
        + new java.util.TreeSet<>(LOWER) + " (lower is better)");
  }

  /** Accuracy, the usual GLUE choice for classification (use "mcc" for CoLA). */
  public static BestCheckpointRule forClassification() {
    return of("accuracy");
  }

  /** Pearson correlation, STS-B's primary metric. */
  public static BestCheckpointRule forRegression() {
    return of("pearson");
  }

  /** Whether {@code candidate} beats {@code incumbent}; NaN never wins, and anything beats NaN. */
  public boolean isBetter(double candidate, double incumbent) {
    if (Double.isNaN(candidate)) {
      return false;
    }
    if (Double.isNaN(incumbent)) {
      return true;
    }
    return higherIsBetter ? candidate > incumbent : candidate < incumbent;
  }

  /** This rule's metric from an evaluation. */
  public double valueIn(Map<String, Double> metrics) {
    Double value = metrics.get(metric);
    if (value == null) {
      throw new VbLoraException("the best-checkpoint metric \"" + metric
          + "\" is not among this evaluation's metrics " + metrics.keySet() + "; choose one of those");
    }
    return value;
  }
}
