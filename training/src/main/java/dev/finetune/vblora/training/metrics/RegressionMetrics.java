package dev.finetune.vblora.training.metrics;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Pearson and Spearman correlation and mean squared error of predicted values (STS-B's metrics).
 *
 * @param examples number of examples
 * @param pearson linear correlation; NaN when either side is constant (as scipy.stats.pearsonr)
 * @param spearman Pearson correlation of the ranks, ties given their average rank (scipy.stats.spearmanr)
 * @param mse mean squared error
 */
public record RegressionMetrics(long examples, double pearson, double spearman, double mse)
    implements TaskMetrics {

  public static RegressionMetrics compute(double[] targets, double[] predictions) {
    if (targets.length != predictions.length) {
      throw new VbLoraException(targets.length + " targets but " + predictions.length + " predictions");
    }
    if (targets.length == 0) {
      throw new VbLoraException("no examples to evaluate; the evaluation set is empty");
    }
    double squared = 0;
    for (int i = 0; i < targets.length; i++) {
      double d = predictions[i] - targets[i];
      squared += d * d;
    }
    return new RegressionMetrics(targets.length, pearson(targets, predictions),
        pearson(averageRanks(targets), averageRanks(predictions)), squared / targets.length);
  }

  @Override
  public Map<String, Double> values() {
    Map<String, Double> values = new LinkedHashMap<>();
    values.put("pearson", pearson);
    values.put("spearman", spearman);
    values.put("mse", mse);
    return values;
  }

  static double pearson(double[] x, double[] y) {
    double meanX = mean(x);
    double meanY = mean(y);
    double xy = 0;
    double xx = 0;
    double yy = 0;
    for (int i = 0; i < x.length; i++) {
      double dx = x[i] - meanX;
      double dy = y[i] - meanY;
      xy += dx * dy;
      xx += dx * dx;
      yy += dy * dy;
    }
    return xx == 0 || yy == 0 ? Double.NaN : xy / Math.sqrt(xx * yy);
  }

  /** 1-based ranks; equal values share the mean of the ranks they span. */
  static double[] averageRanks(double[] values) {
    Integer[] order = new Integer[values.length];
    Arrays.setAll(order, i -> i);
    Arrays.sort(order, Comparator.comparingDouble(i -> values[i]));
    double[] ranks = new double[values.length];
    int start = 0;
    while (start < order.length) {
      int end = start;
      while (end + 1 < order.length && values[order[end + 1]] == values[order[start]]) {
        end++;
      }
      double rank = (start + end) / 2.0 + 1;
      for (int i = start; i <= end; i++) {
        ranks[order[i]] = rank;
      }
      start = end + 1;
    }
    return ranks;
  }

  private static double mean(double[] values) {
    double sum = 0;
    for (double v : values) {
      sum += v;
    }
    return sum / values.length;
  }
}
