package dev.finetune.vblora.savedmodel.export;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.savedmodel.adapter.PeftAdapter;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One adapter of a multi-adapter model, already matched to the base model.
 *
 * @param name what requests call it
 * @param adapter the adapter as read from its folder
 * @param kernelVariables per module path of the adapter, the base model's kernel variable it updates
 * @param head the adapter's task head, if it has one
 */
public record AdapterChoice(String name, PeftAdapter adapter, Map<String, String> kernelVariables,
    Optional<HeadWeights> head) {
  public AdapterChoice {
    Objects.requireNonNull(name, "name");
    if (name.isBlank()) {
      throw new VbLoraException("an adapter name must not be blank");
    }
    kernelVariables = Collections.unmodifiableMap(new LinkedHashMap<>(kernelVariables));
    for (String module : adapter.modulePaths()) {
      if (!kernelVariables.containsKey(module)) {
        throw new VbLoraException("adapter " + name + ": module " + module + " is matched to no kernel");
      }
    }
  }
}
