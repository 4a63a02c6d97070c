package dev.finetune.vblora.ops;

import java.util.Objects;
import org.tensorflow.Operand;
import org.tensorflow.types.family.TNumber;

/**
 * One adapted layer's VB-LoRA logits, in PEFT's layout.
 *
 * @param shape the layer they adapt
 * @param logitsA {@code [r, in/b, h]} (PEFT's vblora_logits_A)
 * @param logitsB {@code [out/b, r, h]} (PEFT's vblora_logits_B)
 */
public record LayerLogits<T extends TNumber>(LayerShape shape, Operand<T> logitsA, Operand<T> logitsB) {

  public LayerLogits {
    Objects.requireNonNull(shape, "shape");
    Objects.requireNonNull(logitsA, "logitsA");
    Objects.requireNonNull(logitsB, "logitsB");
  }
}
