package dev.finetune.vblora.training.device;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.Locale;

/**
 * The arithmetic of the frozen model's heavy ops. Reduced precision is TensorFlow's graph rewrite (Grappler's
 * auto mixed precision): it casts MatMul, BatchMatMul and their neighbours to 16 bits and back, while every
 * variable, the adapter's parameters and the optimizer state included, stays float32 and softmax, exp, log and
 * reductions stay float32 as well. The rewrite exists for one device each: float16 on CUDA GPUs and bfloat16
 * on CPUs through oneDNN; TensorFlow has no bfloat16 rewrite for GPUs.
 */
public enum Precision {
  FP32,
  /** CUDA auto mixed precision (RewriterConfig.auto_mixed_precision); GPU only. */
  FP16,
  /** oneDNN auto mixed precision (RewriterConfig.auto_mixed_precision_onednn_bfloat16); CPU only. */
  BF16;

  public static Precision parse(String value) {
    switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "fp32":
      case "float32":
        return FP32;
      case "fp16":
      case "float16":
        return FP16;
      case "bf16":
      case "bfloat16":
        return BF16;
      default:
        throw new VbLoraException("precision must be fp32, fp16 (GPU) or bf16 (CPU), got '" + value + "'");
    }
  }

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Whether TensorFlow has a rewrite for this precision on {@code device}. */
  public boolean supportedOn(Device device) {
    return this == FP32 || (this == FP16 ? device == Device.GPU : device == Device.CPU);
  }
}
