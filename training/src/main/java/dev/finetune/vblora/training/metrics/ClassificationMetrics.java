package dev.finetune.vblora.training.metrics;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * Accuracy, F1 and Matthews correlation of predicted class ids, computed as scikit-learn does.
 *
 * @param examples number of examples
 * @param accuracy fraction predicted correctly
 * @param f1 for two classes the F1 of class 1 (GLUE's MRPC/QQP F1, sklearn's average='binary'); for more
 *     classes the macro F1
 * @param macroF1 unweighted mean of per-class F1 over the classes present in labels or predictions
 *     (sklearn's average='macro'; a class with no true or predicted example scores 0)
 * @param mcc Matthews correlation coefficient, multiclass by Gorodkin's R_K (sklearn's
 *     matthews_corrcoef); 0 when undefined, as there
 */
public record ClassificationMetrics(long examples, double accuracy, double f1, double macroF1, double mcc)
    implements TaskMetrics {

  public static ClassificationMetrics compute(int[] labels, int[] predictions, int numClasses) {
    long[][] confusion = confusion(labels, predictions, numClasses);
    int n = labels.length;
    long correct = 0;
    for (int c = 0; c < numClasses; c++) {
      correct += confusion[c][c];
    }
    double macro = macroF1(confusion, labels, predictions);
    double f1 = numClasses == 2 ? f1Of(confusion, 1) : macro;
    return new ClassificationMetrics(n, (double) correct / n, f1, macro, mcc(confusion, n));
  }

  @Override
  public Map<String, Double> values() {
    Map<String, Double> values = new LinkedHashMap<>();
    values.put("accuracy", accuracy);
    values.put("f1", f1);
    values.put("macro_f1", macroF1);
    values.put("mcc", mcc);
    return values;
  }

  /** confusion[true][predicted]. */
  private static long[][] confusion(int[] labels, int[] predictions, int numClasses) {
    if (labels.length != predictions.length) {
      throw new VbLoraException(labels.length + " labels but " + predictions.length + " predictions");
    }
    if (labels.length == 0) {
      throw new VbLoraException("no examples to evaluate; the evaluation set is empty");
    }
    if (numClasses < 2) {
      throw new VbLoraException("classification metrics need at least 2 classes, got " + numClasses);
    }
    long[][] confusion = new long[numClasses][numClasses];
    for (int i = 0; i < labels.length; i++) {
      requireClass("label", i, labels[i], numClasses);
      requireClass("prediction", i, predictions[i], numClasses);
      confusion[labels[i]][predictions[i]]++;
    }
    return confusion;
  }

  private static void requireClass(String what, int index, int value, int numClasses) {
    if (value < 0 || value >= numClasses) {
      throw new VbLoraException(what + " " + value + " of example " + index + " is not a class id in [0, "
          + numClasses + ")");
    }
  }

  private static double f1Of(long[][] confusion, int c) {
    long tp = confusion[c][c];
    long fn = 0;
    long fp = 0;
    for (int k = 0; k < confusion.length; k++) {
      if (k != c) {
        fn += confusion[c][k];
        fp += confusion[k][c];
      }
    }
    long denominator = 2 * tp + fp + fn;
    return denominator == 0 ? 0.0 : 2.0 * tp / denominator;
  }

  private static double macroF1(long[][] confusion, int[] labels, int[] predictions) {
    TreeSet<Integer> present = new TreeSet<>();
    for (int i = 0; i < labels.length; i++) {
      present.add(labels[i]);
      present.add(predictions[i]);
    }
    double sum = 0;
    for (int c : present) {
      sum += f1Of(confusion, c);
    }
    return sum / present.size();
  }

  /** (c s - sum_k p_k t_k) / sqrt((s^2 - sum_k p_k^2)(s^2 - sum_k t_k^2)). */
  private static double mcc(long[][] confusion, long s) {
    int k = confusion.length;
    double correct = 0;
    double pt = 0;
    double pp = 0;
    double tt = 0;
    for (int i = 0; i < k; i++) {
      double trueCount = 0;
      double predictedCount = 0;
      for (int j = 0; j < k; j++) {
        trueCount += confusion[i][j];
        predictedCount += confusion[j][i];
      }
      correct += confusion[i][i];
      pt += predictedCount * trueCount;
      pp += predictedCount * predictedCount;
      tt += trueCount * trueCount;
    }
    double ss = (double) s * s;
    double denominator = Math.sqrt((ss - pp) * (ss - tt));
    return denominator == 0 ? 0.0 : (correct * s - pt) / denominator;
  }
}
