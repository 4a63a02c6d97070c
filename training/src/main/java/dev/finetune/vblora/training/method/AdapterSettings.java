package dev.finetune.vblora.training.method;

import dev.finetune.vblora.model.LoraConfig;
import dev.finetune.vblora.model.VbLoraConfig;
import java.util.Objects;

/**
 * The hyperparameters of every adapter method, of which a run's {@link AdapterMethod} reads its own: one
 * record, because the command line and config.json set them all at once (rank and seed are shared).
 *
 * @param vbLora VB-LoRA's settings (PEFT's VBLoRAConfig names)
 * @param lora the LoRA baseline's settings (PEFT's LoraConfig names)
 */
public record AdapterSettings(VbLoraConfig vbLora, LoraConfig lora) {
  public AdapterSettings {
    Objects.requireNonNull(vbLora, "vbLora");
    Objects.requireNonNull(lora, "lora");
  }

  /** Every method's defaults: {@link VbLoraConfig#builder()} and {@link LoraConfig#defaults()}. */
  public static AdapterSettings defaults() {
    return new AdapterSettings(VbLoraConfig.builder().build(), LoraConfig.defaults());
  }
}
