package dev.finetune.vblora.model;

/** How a training graph writes the float32 variances of tf.nn.moments on its data path (see {@link OnePassMoments}). */
public enum MomentsForm {
  /** The model's own form: the variance reduces (x - mean)^2 once the mean's reduction has ended. */
  AS_EXPORTED,
  /**
   * mean(x^2) - mean(x)^2 in float64, clamped at 0: the variance's reductions read x alone, beside the mean's, so
   * that XLA can compute them in one pass over x.
   */
  ONE_PASS
}
