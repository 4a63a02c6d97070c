package dev.finetune.vblora.model;

/**
 * Whether a training graph computes its encoder's position-wise tail at every position or only at the one position
 * that its outputs read (a pooler's first token; see {@link OnePositionTail}).
 */
public enum TailForm {
  /** The model's own: every position, so that a zero adapter reproduces the model's outputs bit for bit. */
  AS_EXPORTED,
  /**
   * The tail at the read position only: about one layer's feed-forward work less per step in a 12-layer BERT. The
   * values are the same ops on the same rows, but a product over fewer rows may round its sums differently, in the
   * last bit; XLA's fusion already moves a forward pass by more (docs/benchmarks.md, XLA numerics).
   */
  ONE_POSITION
}
