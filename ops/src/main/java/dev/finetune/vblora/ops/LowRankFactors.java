package dev.finetune.vblora.ops;

import java.util.Objects;
import org.tensorflow.Operand;
import org.tensorflow.types.family.TNumber;

/**
 * The two factors of a low-rank update in TF layout: y = x W + s * (x down) up.
 *
 * @param down {@code [in, r]}, PEFT's A (lora_A weight, or VB-LoRA's A_pt) transposed
 * @param up {@code [r, out]}, PEFT's B (lora_B weight, or VB-LoRA's B_pt) transposed
 */
public record LowRankFactors<T extends TNumber>(Operand<T> down, Operand<T> up) {

  public LowRankFactors {
    Objects.requireNonNull(down, "down");
    Objects.requireNonNull(up, "up");
  }
}
