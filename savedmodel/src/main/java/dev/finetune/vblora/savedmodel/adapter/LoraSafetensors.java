package dev.finetune.vblora.savedmodel.adapter;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * PEFT's tensor layout of a LoRA adapter_model.safetensors: {@code base_model.model.<module>.lora_A.weight}
 * [r, in] and {@code base_model.model.<module>.lora_B.weight} [out, r].
 */
final class LoraSafetensors {
  private static final String A = ".lora_A.weight";
  private static final String B = ".lora_B.weight";

  private LoraSafetensors() {}

  static boolean isAdapterKey(String key) {
    return key.startsWith(VbLoraSafetensors.MODULE_PREFIX) && (key.endsWith(A) || key.endsWith(B));
  }

  static SafetensorsFile toFile(LoraAdapter adapter) {
    Map<String, StoredTensor> tensors = new LinkedHashMap<>();
    for (LoraModule module : adapter.modules()) {
      String stem = VbLoraSafetensors.MODULE_PREFIX + module.path();
      tensors.put(stem + A, StoredTensor.ofFloats(new long[] {module.rank(), module.inFeatures()},
          module.loraA()));
      tensors.put(stem + B, StoredTensor.ofFloats(new long[] {module.outFeatures(), module.rank()},
          module.loraB()));
    }
    tensors.putAll(adapter.otherTensors());
    return SafetensorsFile.pytorch(tensors);
  }

  static LoraAdapter fromFile(PeftLoraConfig config, SafetensorsFile file, String source)
      throws AdapterFormatException {
    Map<String, StoredTensor[]> byModule = new LinkedHashMap<>();
    Map<String, StoredTensor> others = new LinkedHashMap<>();
    file.tensors().forEach((key, tensor) -> {
      if (isAdapterKey(key)) {
        boolean isA = key.endsWith(A);
        String path = key.substring(VbLoraSafetensors.MODULE_PREFIX.length(), key.length() - A.length());
        byModule.computeIfAbsent(path, p -> new StoredTensor[2])[isA ? 0 : 1] = tensor;
      } else {
        others.put(key, tensor);
      }
    });
    if (byModule.isEmpty()) {
      throw new AdapterFormatException(source, "holds no lora_A/lora_B tensors; it is not a LoRA adapter file ("
          + AdapterFileKind.describe(file) + "); is adapter_config.json's peft_type right?");
    }
    List<LoraModule> modules = new ArrayList<>();
    for (Map.Entry<String, StoredTensor[]> entry : byModule.entrySet()) {
      String path = entry.getKey();
      StoredTensor a = entry.getValue()[0];
      StoredTensor b = entry.getValue()[1];
      if (a == null || b == null) {
        throw new AdapterFormatException(source, "module " + path + " lacks " + (a == null ? "lora_A" : "lora_B"));
      }
      if (a.rank() != 2 || b.rank() != 2 || !a.dtype().isFloatingPoint() || !b.dtype().isFloatingPoint()
          || b.dim(1) != a.dim(0)) {
        throw new AdapterFormatException(source, "module " + path + ": lora_A " + a + " and lora_B " + b
            + " must be float matrices [r, in] and [out, r]");
      }
      try {
        modules.add(new LoraModule(path, (int) a.dim(0), (int) a.dim(1), (int) b.dim(0), a.toFloats(),
            b.toFloats()));
      } catch (NonFiniteValueException e) {
        throw new AdapterFormatException(source, e.getMessage() + "; " + NonFiniteValueException.ADAPTER_ADVICE, e);
      }
    }
    try {
      return LoraAdapter.of(config, modules, others);
    } catch (IllegalArgumentException e) {
      throw new AdapterFormatException(source, e.getMessage() + " (checked against adapter_config.json)", e);
    }
  }
}
