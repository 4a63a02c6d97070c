package dev.finetune.vblora.model;

/** How a training graph writes the float32 Softmax ops of its data path (see {@link LogSumExpSoftmax}). */
public enum SoftmaxForm {
  /** The model's own Softmax ops, with TensorFlow's gradient. */
  AS_EXPORTED,
  /**
   * exp(x - logsumexp(x)), with the same gradient written from the output: XLA keeps exp(x - max) inside the sum's
   * kernel instead of writing it out and reading it back for the division, one kernel and one tensor fewer. The values round
   * differently from a division by the sum, by about 1e-7 relative times |x - logsumexp(x)|.
   */
  LOG_SUM_EXP
}
