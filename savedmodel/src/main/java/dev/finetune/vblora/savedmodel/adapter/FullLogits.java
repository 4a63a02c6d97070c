package dev.finetune.vblora.savedmodel.adapter;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.Arrays;

/**
 * Full logits of one factor, PEFT's {@code vblora_logits_A/B} [rows, cols, h] in row-major order. Values of
 * {@code -Infinity} are allowed (PEFT writes them when an adapter read from a top-k file is saved again with
 * full logits) as long as each sub-vector keeps a finite one; NaN and +Infinity are not.
 *
 * @param rows first dimension: r for logits_A, out/b for logits_B
 * @param cols second dimension: in/b for logits_A, r for logits_B
 * @param numVectors vectors in the bank, h
 * @param values the logits, row-major [rows, cols, h] (copied)
 */
public record FullLogits(int rows, int cols, int numVectors, float[] values) implements SubVectorLogits {
  public FullLogits {
    if (rows < 1 || cols < 1 || numVectors < 1) {
      throw new VbLoraException("logits shape [" + rows + ", " + cols + ", " + numVectors
          + "] must have positive dimensions");
    }
    if ((long) rows * cols * numVectors != values.length) {
      throw new VbLoraException("logits of shape [" + rows + ", " + cols + ", " + numVectors
          + "] need " + ((long) rows * cols * numVectors) + " values, got " + values.length);
    }
    for (int i = 0; i < values.length; i++) {
      if (Float.isNaN(values[i]) || values[i] == Float.POSITIVE_INFINITY) {
        throw new VbLoraException("logit " + i + " is " + values[i] + "; logits must be finite or -inf");
      }
    }
    requireAFiniteLogitPerSubVector(values, numVectors);
    values = values.clone();
  }

  /**
   * A sub-vector whose logits are all -inf selects no bank vector: its softmax is 0/0, and PEFT's merge of it is
   * NaN. (PEFT's -inf logits, from a top-k file saved again in full, leave the k it kept finite.)
   */
  private static void requireAFiniteLogitPerSubVector(float[] values, int numVectors) {
    for (int start = 0; start < values.length; start += numVectors) {
      boolean finite = false;
      for (int i = start; i < start + numVectors && !finite; i++) {
        finite = values[i] != Float.NEGATIVE_INFINITY;
      }
      if (!finite) {
        throw new VbLoraException("sub-vector " + start / numVectors + " has only -inf logits, so it selects no"
            + " bank vector (its softmax is NaN); the file is damaged");
      }
    }
  }

  /** The logits, row-major [rows, cols, h]; a copy. */
  @Override
  public float[] values() {
    return values.clone();
  }

  @Override
  public Mixture mixture(int subVector, int topk) {
    int[] indices = topIndices(subVector, topk);
    double[] weights = new double[topk];
    int base = subVector * numVectors;
    double max = values[base + indices[0]]; // finite: the constructor refuses a sub-vector of only -inf
    double sum = 0;
    for (int j = 0; j < topk; j++) {
      weights[j] = Math.exp(values[base + indices[j]] - max);
      sum += weights[j];
    }
    for (int j = 0; j < topk; j++) {
      weights[j] /= sum;
    }
    return new Mixture(indices, weights);
  }

  @Override
  public TopKLogits toTopK(int k) {
    int count = subVectorCount();
    int[] indices = new int[count * k];
    float[] weights = new float[count * (k - 1)];
    for (int s = 0; s < count; s++) {
      Mixture mixture = mixture(s, k);
      System.arraycopy(mixture.indices(), 0, indices, s * k, k);
      for (int j = 0; j < k - 1; j++) {
        weights[s * (k - 1) + j] = (float) mixture.weights()[j];
      }
    }
    return new TopKLogits(rows, cols, numVectors, k, indices, weights);
  }

  /** Indices of the k largest logits, largest first (ties: lower index first), as torch.topk orders them. */
  private int[] topIndices(int subVector, int k) {
    if (k < 1 || k > numVectors) {
      throw new VbLoraException("topk " + k + " must be between 1 and num_vectors " + numVectors);
    }
    int base = subVector * numVectors;
    int[] chosen = new int[k];
    boolean[] taken = new boolean[numVectors];
    for (int j = 0; j < k; j++) {
      int best = -1;
      for (int i = 0; i < numVectors; i++) {
        if (!taken[i] && (best < 0 || values[base + i] > values[base + best])) {
          best = i;
        }
      }
      taken[best] = true;
      chosen[j] = best;
    }
    return chosen;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof FullLogits that && rows == that.rows && cols == that.cols
        && numVectors == that.numVectors && Arrays.equals(values, that.values);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(values) * 31 + rows * 7 + cols;
  }

  @Override
  public String toString() {
    return "FullLogits[" + rows + ", " + cols + ", " + numVectors + "]";
  }
}
