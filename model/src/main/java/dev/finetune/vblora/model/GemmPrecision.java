package dev.finetune.vblora.model;

/**
 * The arithmetic of the matrix products on a model's data path (the MatMuls, BatchMatMuls and Einsums that
 * read, directly or through other ops, one of the signature's inputs). Everything else, the variables, the
 * adapter's composition, softmax, LayerNorm, the loss and the optimizer, stays float32 either way.
 */
public enum GemmPrecision {
  /** The model as exported (float32; a GPU may still run the products in TF32). */
  FLOAT32,
  /**
   * bfloat16 operands with float32 accumulation: each data-path product reads its inputs cast to bfloat16 and
   * its result is cast back to float32 ({@link Bfloat16Gemms}). bfloat16 has float32's exponent range, so
   * unlike float16 it needs no loss scaling. The gradients of the casts put the backward pass's products in
   * bfloat16 as well. Packed frozen weights that products read are converted once per restore, into bfloat16
   * copies beside their float32 variables, rather than on every step.
   */
  BFLOAT16
}
