package dev.finetune.vblora.savedmodel.adapter;

import java.util.Arrays;

/**
 * The dense weight update of one adapted module, computed in plain Java (double precision, stored as float).
 *
 * <p>{@link #tfKernel()} is laid out like a TF Dense kernel, [in][out], so {@code kernel + delta} merges the
 * adapter into a TF model. {@link #pytorchWeight()} is PyTorch's nn.Linear layout [out][in], what PEFT's
 * {@code get_delta_weight()} returns for nn.Linear; for fan_in_fan_out (Conv1D) models PEFT returns the
 * transpose, i.e. {@link #tfKernel()}.
 */
public final class DeltaWeights {
  private final String modulePath;
  private final int inFeatures;
  private final int outFeatures;
  private final float[] weight; // [out][in], row-major

  private DeltaWeights(String modulePath, int inFeatures, int outFeatures, float[] weight) {
    // Finite factors can still overflow float in B A; a NaN here would make the merged kernel NaN.
    NonFiniteValueException.requireFinite("module " + modulePath + ": its weight update (B A, [out, in])",
        weight, outFeatures, inFeatures);
    this.modulePath = modulePath;
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = weight;
  }

  /**
   * VB-LoRA: A [r, in] from logits_A, B [out, r] from logits_B, delta = B A (PEFT applies no scaling).
   *
   * @param bank the vector bank, row-major [h, b]
   */
  static DeltaWeights vbLora(VbLoraModule module, float[] bank, int vectorLength, int topk) {
    int b = vectorLength;
    int r = module.rank();
    int in = module.inFeatures(b);
    int out = module.outFeatures(b);
    double[] a = new double[r * in];
    SubVectorLogits logitsA = module.logitsA();
    for (int row = 0; row < r; row++) {
      for (int tile = 0; tile < logitsA.cols(); tile++) {
        // A[row][tile*b + j] = sub-vector (row, tile)
        double[] u = compose(logitsA.mixture(row * logitsA.cols() + tile, topk), bank, b);
        System.arraycopy(u, 0, a, row * in + tile * b, b);
      }
    }
    double[] bMatrix = new double[out * r];
    SubVectorLogits logitsB = module.logitsB();
    for (int tile = 0; tile < logitsB.rows(); tile++) {
      for (int col = 0; col < r; col++) {
        // B[tile*b + j][col] = sub-vector (tile, col): PEFT's transpose(1, 2).reshape(out, r)
        double[] u = compose(logitsB.mixture(tile * r + col, topk), bank, b);
        for (int j = 0; j < b; j++) {
          bMatrix[(tile * b + j) * r + col] = u[j];
        }
      }
    }
    return new DeltaWeights(module.path(), in, out, product(bMatrix, a, out, r, in, 1.0));
  }

  /** LoRA: delta = scaling * lora_B [out, r] @ lora_A [r, in]. */
  static DeltaWeights lora(LoraModule module, double scaling) {
    int r = module.rank();
    int in = module.inFeatures();
    int out = module.outFeatures();
    return new DeltaWeights(module.path(), in, out,
        product(toDouble(module.loraB()), toDouble(module.loraA()), out, r, in, scaling));
  }

  public String modulePath() {
    return modulePath;
  }

  public int inFeatures() {
    return inFeatures;
  }

  public int outFeatures() {
    return outFeatures;
  }

  /** TF Dense kernel layout, [in][out]. */
  public float[][] tfKernel() {
    float[][] kernel = new float[inFeatures][outFeatures];
    for (int o = 0; o < outFeatures; o++) {
      for (int i = 0; i < inFeatures; i++) {
        kernel[i][o] = weight[o * inFeatures + i];
      }
    }
    return kernel;
  }

  /** PyTorch nn.Linear layout, [out][in], as PEFT's get_delta_weight() returns it. */
  public float[][] pytorchWeight() {
    float[][] matrix = new float[outFeatures][inFeatures];
    for (int o = 0; o < outFeatures; o++) {
      System.arraycopy(weight, o * inFeatures, matrix[o], 0, inFeatures);
    }
    return matrix;
  }

  /** sum_s w_s * bank[index_s], one sub-vector of length b. */
  private static double[] compose(SubVectorLogits.Mixture mixture, float[] bank, int b) {
    double[] u = new double[b];
    for (int s = 0; s < mixture.indices().length; s++) {
      double w = mixture.weights()[s];
      int base = mixture.indices()[s] * b;
      for (int j = 0; j < b; j++) {
        u[j] += w * bank[base + j];
      }
    }
    return u;
  }

  /** scale * left [n, r] @ right [r, m], rounded to float. */
  private static float[] product(double[] left, double[] right, int n, int r, int m, double scale) {
    float[] result = new float[n * m];
    double[] row = new double[m];
    for (int i = 0; i < n; i++) {
      Arrays.fill(row, 0);
      for (int k = 0; k < r; k++) {
        double l = left[i * r + k];
        for (int j = 0; j < m; j++) {
          row[j] += l * right[k * m + j];
        }
      }
      for (int j = 0; j < m; j++) {
        result[i * m + j] = (float) (scale * row[j]);
      }
    }
    return result;
  }

  private static double[] toDouble(float[] values) {
    double[] result = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      result[i] = values[i];
    }
    return result;
  }
}
