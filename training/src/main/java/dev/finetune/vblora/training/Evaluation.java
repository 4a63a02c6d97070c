package dev.finetune.vblora.training;

import dev.finetune.vblora.data.Task;
import dev.finetune.vblora.data.batch.Batch;
import dev.finetune.vblora.training.metrics.ClassificationMetrics;
import dev.finetune.vblora.training.metrics.RegressionMetrics;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** Scores a model's predictions over batches: accuracy, F1, MCC (classification) or Pearson, Spearman, MSE. */
public final class Evaluation {
  private Evaluation() {}

  /**
   * Only real rows count: the padding rows of a filled-up batch are predicted and ignored.
   *
   * @param predict per batch, class probabilities [n][classes] or predicted values [n][1]
   * @param numClasses classes of the head (ignored for regression)
   */
  public static Map<String, Double> metrics(List<Batch> batches, Function<Batch, float[][]> predict, int numClasses,
      Task task) {
    int n = batches.stream().mapToInt(Batch::examples).sum();
    if (task == Task.CLASSIFICATION) {
      int[] labels = new int[n];
      int[] predicted = new int[n];
      int i = 0;
      for (Batch batch : batches) {
        float[][] probabilities = predict.apply(batch);
        int[] ids = batch.labelIds();
        for (int row = 0; row < batch.examples(); row++, i++) {
          labels[i] = ids[row];
          predicted[i] = argmax(probabilities[row]);
        }
      }
      return ClassificationMetrics.compute(labels, predicted, numClasses).values();
    }
    double[] targets = new double[n];
    double[] predicted = new double[n];
    int i = 0;
    for (Batch batch : batches) {
      float[][] values = predict.apply(batch);
      float[] labels = batch.labelValues();
      for (int row = 0; row < batch.examples(); row++, i++) {
        targets[i] = labels[row];
        predicted[i] = values[row][0];
      }
    }
    return RegressionMetrics.compute(targets, predicted).values();
  }

  /** Index of the largest value; the first among equals. */
  public static int argmax(float[] values) {
    int best = 0;
    for (int i = 1; i < values.length; i++) {
      if (values[i] > values[best]) {
        best = i;
      }
    }
    return best;
  }
}
