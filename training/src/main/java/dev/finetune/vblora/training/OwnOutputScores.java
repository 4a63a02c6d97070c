package dev.finetune.vblora.training;

import dev.finetune.vblora.savedmodel.io.LossKind;
import dev.finetune.vblora.savedmodel.io.ModelOutput;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.types.TFloat32;

/**
 * A model's own output in the form evaluation scores, the form a vblora head gives: class probabilities
 * [n][classes] (its softmax as it is, a softmax of its logits, or [1 - p, p] of its sigmoid or of the sigmoid of
 * its logit), or values [n][1]. The same arithmetic as the training graph's {@code OwnOutputLoss} predictions.
 */
final class OwnOutputScores {
  private OwnOutputScores() {}

  static float[][] of(ModelOutput.OwnOutput own, TFloat32 values) {
    float[][] rows = values.shape().numDimensions() == 2 ? StdArrays.array2dCopyOf(values) : column(values);
    if (own.loss() == LossKind.MSE) {
      return rows;
    }
    if (own.loss() == LossKind.BINARY_CROSS_ENTROPY) {
      float[][] probabilities = new float[rows.length][];
      for (int i = 0; i < rows.length; i++) {
        float p = own.fromProbabilities() ? rows[i][0] : (float) (1 / (1 + Math.exp(-rows[i][0])));
        probabilities[i] = new float[] {1 - p, p};
      }
      return probabilities;
    }
    if (own.fromProbabilities()) {
      return rows;
    }
    float[][] probabilities = new float[rows.length][];
    for (int i = 0; i < rows.length; i++) {
      probabilities[i] = softmax(rows[i]);
    }
    return probabilities;
  }

  private static float[][] column(TFloat32 values) {
    float[] flat = StdArrays.array1dCopyOf(values);
    float[][] column = new float[flat.length][1];
    for (int i = 0; i < flat.length; i++) {
      column[i][0] = flat[i];
    }
    return column;
  }

  private static float[] softmax(float[] logits) {
    double max = Double.NEGATIVE_INFINITY;
    for (float v : logits) {
      max = Math.max(max, v);
    }
    double sum = 0;
    double[] e = new double[logits.length];
    for (int i = 0; i < logits.length; i++) {
      e[i] = Math.exp(logits[i] - max);
      sum += e[i];
    }
    float[] p = new float[logits.length];
    for (int i = 0; i < logits.length; i++) {
      p[i] = (float) (e[i] / sum);
    }
    return p;
  }
}
