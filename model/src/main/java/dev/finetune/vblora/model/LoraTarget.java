package dev.finetune.vblora.model;

import java.util.List;

/**
 * One kernel's LoRA factors: the update is x * down * up * alpha / r.
 *
 * @param kernel the adapted kernel
 * @param downShape [d_in, r] (PEFT's lora_A transposed)
 * @param upShape [r, d_out] (PEFT's lora_B transposed)
 */
public record LoraTarget(Kernel kernel, List<Long> downShape, List<Long> upShape) {
  public LoraTarget {
    downShape = List.copyOf(downShape);
    upShape = List.copyOf(upShape);
  }

  /** r * (d_in + d_out). */
  public long params() {
    return downShape.get(0) * downShape.get(1) + upShape.get(0) * upShape.get(1);
  }
}
