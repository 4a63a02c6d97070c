package dev.finetune.vblora.training.device;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.Locale;

/**
 * The arithmetic of the frozen model's heavy ops. Reduced precision casts MatMul, BatchMatMul and (fp16) their
 * neighbours to 16 bits and back, while every trained variable, the adapter's parameters and the optimizer state
 * included, stays float32 and softmax, exp, log and reductions stay float32 as well. fp16 on GPUs and bf16 on
 * CPUs are TensorFlow's graph rewrites (Grappler's auto mixed precision, the latter through oneDNN). TensorFlow
 * has no bfloat16 rewrite for GPUs, so bf16 on a GPU is vblora's own: the training graph's data-path products
 * are built in bfloat16 ({@link dev.finetune.vblora.model.Bfloat16Gemms}), what runs between two of them (bias
 * adds, GELU, the reshapes into heads) stays bfloat16 ({@link dev.finetune.vblora.model.Bfloat16Regions}), and
 * the frozen kernels are read from bfloat16 copies filled once per restore rather than converted every step. It
 * needs no loss scaling, and Hopper and Ampere GPUs run it at fp16's speed.
 */
public enum Precision {
  FP32,
  /** CUDA auto mixed precision (RewriterConfig.auto_mixed_precision); GPU only. */
  FP16,
  /**
   * CPU: oneDNN auto mixed precision (RewriterConfig.auto_mixed_precision_onednn_bfloat16); GPU: the training
   * graph's products in bfloat16 ({@link dev.finetune.vblora.model.GemmPrecision#BFLOAT16}).
   */
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
        throw new VbLoraException("precision must be fp32, fp16 (GPU) or bf16, got '" + value + "'");
    }
  }

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Whether this precision has a rewrite on {@code device}: fp16 is the GPU's only. */
  public boolean supportedOn(Device device) {
    return this != FP16 || device == Device.GPU;
  }
}
