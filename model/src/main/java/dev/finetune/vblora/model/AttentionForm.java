package dev.finetune.vblora.model;

/**
 * How a bfloat16 training graph writes its attention cores (scores = Q K^T, scaled, masked, softmax, times V).
 * float32 graphs keep the model's own form either way.
 */
public enum AttentionForm {
  /** The model's own: TensorFlow's Softmax of float32 logits. */
  AS_EXPORTED,
  /**
   * The form XLA's cuDNN fused-attention rewriter matches ({@link FusedAttention}): logits in bfloat16 and a
   * softmax whose gradient is the expression that rewriter looks for. With {@code
   * XLA_FLAGS=--xla_gpu_enable_cudnn_fmha=true} each layer's attention then runs as one cuDNN flash-attention
   * kernel forward and one backward.
   */
  FUSED
}
