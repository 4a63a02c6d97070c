package dev.finetune.vblora.savedmodel.adapter;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The content of a safetensors file: named tensors and the optional {@code __metadata__} string map.
 *
 * @param metadata the {@code __metadata__} map, or {@code null} when the file has none (the library omits it
 *     when none is given, e.g. PEFT's {@code expected_delta_weights.safetensors})
 * @param tensors tensors by name; a file read from disk keeps the file's data order
 */
public record SafetensorsFile(Map<String, String> metadata, Map<String, StoredTensor> tensors) {
  /** What PyTorch-side writers (PEFT, transformers) put in {@code __metadata__}. */
  public static final Map<String, String> PYTORCH_METADATA = Map.of("format", "pt");

  public SafetensorsFile {
    metadata = metadata == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
    if (tensors.containsKey(SafetensorsHeader.METADATA_KEY)) {
      throw new VbLoraException("\"" + SafetensorsHeader.METADATA_KEY + "\" cannot name a tensor");
    }
  }

  /** A file with PyTorch's {@code {"format":"pt"}} metadata, as PEFT writes adapters. */
  public static SafetensorsFile pytorch(Map<String, StoredTensor> tensors) {
    return new SafetensorsFile(PYTORCH_METADATA, tensors);
  }

  public Optional<StoredTensor> tensor(String name) {
    return Optional.ofNullable(tensors.get(name));
  }
}
