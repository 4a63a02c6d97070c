package dev.finetune.vblora.model;

/** How a training graph writes the float32 variances of tf.nn.moments on its data path (see {@link OnePassMoments}). */
public enum MomentsForm {
  /** The model's own form: the variance reduces (x - mean)^2 once the mean's reduction has ended. */
  AS_EXPORTED,
  /**
   * mean(x^2) - mean(x)^2 in float64, clamped at 0: the variance's reductions read x alone, beside the mean's, so
   * that XLA can compute them in one pass over x. The gradient is TensorFlow's derivative of those float64 ops.
   */
  ONE_PASS,
  /**
   * The variance of {@link #ONE_PASS}, with the gradient of the model's own form, 2 (x - mean) dvar / n in float32
   * (through a marker, as {@link LogSumExpSoftmax} does): the backward pass XLA already fuses, with no float64 in it.
   */
  ONE_PASS_EXPORTED_GRADIENT
}
