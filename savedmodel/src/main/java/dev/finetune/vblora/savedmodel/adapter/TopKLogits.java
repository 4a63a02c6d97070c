package dev.finetune.vblora.savedmodel.adapter;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.Arrays;

/**
 * The top-k choice of one factor, as a save_only_topk_weights file stores it: for each of the rows x cols
 * sub-vectors, k bank indices ({@code _topk_indices} [rows, cols, k]) and the softmax weights of the first
 * k-1 of them ({@code _topk_weights} [rows, cols, k-1]); the last weight is 1 minus their sum.
 *
 * @param rows first dimension: r for logits_A, out/b for logits_B
 * @param cols second dimension: in/b for logits_A, r for logits_B
 * @param numVectors vectors in the bank, h
 * @param k bank vectors kept per sub-vector
 * @param indices bank indices, row-major [rows, cols, k] (copied)
 * @param weights the first k-1 weights of each sub-vector, row-major [rows, cols, k-1] (copied)
 */
public record TopKLogits(int rows, int cols, int numVectors, int k, int[] indices, float[] weights)
    implements SubVectorLogits {
  /** Float rounding lets k-1 stored weights exceed 1 by a few ulps; more than this is a broken file. */
  private static final double SUM_TOLERANCE = 1e-5;

  public TopKLogits {
    if (rows < 1 || cols < 1 || numVectors < 1 || k < 1 || k > numVectors) {
      throw new VbLoraException("top-k shape [" + rows + ", " + cols + "], h=" + numVectors + ", k=" + k
          + " needs positive dimensions and 1 <= k <= h");
    }
    int count = rows * cols;
    if (indices.length != count * k || weights.length != count * (k - 1)) {
      throw new VbLoraException("top-k of shape [" + rows + ", " + cols + "] with k=" + k + " needs "
          + count * k + " indices and " + count * (k - 1) + " weights, got " + indices.length + " and "
          + weights.length);
    }
    for (int s = 0; s < count; s++) {
      checkSubVector(s, numVectors, k, indices, weights);
    }
    indices = indices.clone();
    weights = weights.clone();
  }

  private static void checkSubVector(int s, int numVectors, int k, int[] indices, float[] weights) {
    for (int j = 0; j < k; j++) {
      int index = indices[s * k + j];
      if (index < 0 || index >= numVectors) {
        throw new VbLoraException("sub-vector " + s + " selects bank vector " + index
            + ", outside the bank's " + numVectors + " vectors");
      }
      for (int i = 0; i < j; i++) {
        if (indices[s * k + i] == index) {
          throw new VbLoraException("sub-vector " + s + " selects bank vector " + index + " twice");
        }
      }
    }
    double sum = 0;
    for (int j = 0; j < k - 1; j++) {
      float w = weights[s * (k - 1) + j];
      if (!(w >= 0 && w <= 1)) {
        throw new VbLoraException("sub-vector " + s + " has weight " + w + " outside [0, 1]");
      }
      sum += w;
    }
    if (sum > 1 + SUM_TOLERANCE) {
      throw new VbLoraException("sub-vector " + s + " has top-k weights summing to " + sum
          + " > 1, which leaves a negative last weight");
    }
  }

  /** Bank indices, row-major [rows, cols, k]; a copy. */
  @Override
  public int[] indices() {
    return indices.clone();
  }

  /** The first k-1 weights of each sub-vector, row-major [rows, cols, k-1]; a copy. */
  @Override
  public float[] weights() {
    return weights.clone();
  }

  @Override
  public Mixture mixture(int subVector, int topk) {
    requireK(topk);
    int[] chosen = Arrays.copyOfRange(indices, subVector * k, subVector * k + k);
    double[] w = new double[k];
    double sum = 0;
    for (int j = 0; j < k - 1; j++) {
      w[j] = weights[subVector * (k - 1) + j];
      sum += w[j];
    }
    w[k - 1] = Math.max(0, 1 - sum);
    return new Mixture(chosen, w);
  }

  @Override
  public TopKLogits toTopK(int topk) {
    requireK(topk);
    return this;
  }

  private void requireK(int topk) {
    if (topk != k) {
      throw new VbLoraException("these top-k weights keep " + k + " bank vectors per sub-vector, not "
          + topk + "; only full logits can be cut to another k");
    }
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof TopKLogits that && rows == that.rows && cols == that.cols
        && numVectors == that.numVectors && k == that.k && Arrays.equals(indices, that.indices)
        && Arrays.equals(weights, that.weights);
  }

  @Override
  public int hashCode() {
    return (Arrays.hashCode(indices) * 31 + Arrays.hashCode(weights)) * 31 + k;
  }

  @Override
  public String toString() {
    return "TopKLogits[" + rows + ", " + cols + ", k=" + k + ", h=" + numVectors + "]";
  }
}
