package dev.finetune.vblora.model;

/**
 * How a training graph in the {@link UpdateForm#MERGED merged update form} forms the gradient of each merged weight,
 * {@code x^T dy} (see {@link KMajorWeightGradients}).
 */
public enum WeightGradientForm {
  /** TensorFlow's own: a product that reads x and dy as they are, both reduced over their rows. */
  AS_DIFFERENTIATED,
  /**
   * From x transposed in memory, so that the product's first operand is reduced along its contiguous axis. The
   * same sums, one extra copy of x per step; what Hopper's TF32 (float32) tensor-core kernels need, where cuBLAS
   * otherwise falls back to Ampere-generation kernels (docs/benchmarks.md, issue 16).
   */
  K_MAJOR
}
