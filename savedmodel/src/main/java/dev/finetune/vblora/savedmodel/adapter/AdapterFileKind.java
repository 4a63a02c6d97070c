package dev.finetune.vblora.savedmodel.adapter;

/**
 * What an adapter_model.safetensors holds, in words, for the error about a file that does not hold what its
 * adapter_config.json's peft_type says: VB-LoRA tensors under a LORA config, LoRA tensors under a VBLORA one, or
 * something else.
 */
final class AdapterFileKind {
  private AdapterFileKind() {}

  static String describe(SafetensorsFile file) {
    if (file.tensors().keySet().stream().anyMatch(VbLoraSafetensors::isAdapterKey)) {
      return "it holds VB-LoRA tensors (" + VbLoraSafetensors.BANK_KEY + ", vblora_logits_*)";
    }
    if (file.tensors().keySet().stream().anyMatch(LoraSafetensors::isAdapterKey)) {
      return "it holds LoRA tensors (lora_A.weight, lora_B.weight)";
    }
    return file.tensors().isEmpty() ? "it holds no tensors"
        : "its first tensor is \"" + file.tensors().keySet().iterator().next() + "\"";
  }
}
