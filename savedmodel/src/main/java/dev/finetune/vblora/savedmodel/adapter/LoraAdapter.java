package dev.finetune.vblora.savedmodel.adapter;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.data.json.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A LoRA adapter (the baseline) in PEFT's layout: per module lora_A.weight [r, in] and lora_B.weight
 * [out, r]; the update is scaling * B A. PEFT features that change that formula (DoRA, per-module
 * rank_pattern / alpha_pattern) are refused rather than silently mis-merged. Immutable.
 */
public final class LoraAdapter implements PeftAdapter {
  private final PeftLoraConfig config;
  private final ModulesByPath<LoraModule> modules;
  private final Map<String, StoredTensor> otherTensors;

  private LoraAdapter(PeftLoraConfig config, ModulesByPath<LoraModule> modules,
      Map<String, StoredTensor> otherTensors) {
    this.config = config;
    this.modules = modules;
    this.otherTensors = Collections.unmodifiableMap(new LinkedHashMap<>(otherTensors));
    validate();
  }

  public static LoraAdapter of(PeftLoraConfig config, Collection<LoraModule> modules) {
    return of(config, modules, Map.of());
  }

  public static LoraAdapter of(PeftLoraConfig config, Collection<LoraModule> modules,
      Map<String, StoredTensor> otherTensors) {
    return new LoraAdapter(config, ModulesByPath.of("a LoRA adapter", modules, LoraModule::path), otherTensors);
  }

  /** Reads a PEFT LoRA folder (adapter_config.json + adapter_model.safetensors). */
  public static LoraAdapter read(Path folder) throws IOException {
    return AdapterFolder.read(folder, LoraAdapter.class, PeftLoraConfig.PEFT_TYPE);
  }

  /** Writes this adapter as a PEFT folder, all or nothing; see {@link AdapterFolder#write}. */
  public void write(Path folder, boolean overwrite) throws IOException {
    AdapterFolder.write(this, folder, overwrite);
  }

  @Override
  public PeftLoraConfig config() {
    return config;
  }

  @Override
  public List<String> modulePaths() {
    return modules.paths();
  }

  public Collection<LoraModule> modules() {
    return modules.modules();
  }

  public LoraModule module(String path) {
    return modules.module(path);
  }

  @Override
  public Map<String, StoredTensor> otherTensors() {
    return otherTensors;
  }

  @Override
  public DeltaWeights deltaWeights(String modulePath) {
    return DeltaWeights.lora(module(modulePath), config.scaling());
  }

  @Override
  public ModuleShape moduleShape(String modulePath) {
    LoraModule module = module(modulePath);
    return new ModuleShape(module.inFeatures(), module.outFeatures());
  }

  /** Stored float32 values: r * (in + out) per module. */
  public long storedParameterCount() {
    long count = 0;
    for (LoraModule module : modules.modules()) {
      count += (long) module.rank() * (module.inFeatures() + module.outFeatures());
    }
    return count;
  }

  private void validate() {
    if (Boolean.TRUE.equals(config.otherKeys().get("use_dora"))) {
      throw new VbLoraException("use_dora=true (DoRA) adapters are not supported; only plain LoRA");
    }
    // Settings that make the adapted model something other than W + scaling B A on each module, with no tensor of
    // their own to be refused for (UnplacedTensors refuses lora_B.bias, trainable tokens and the like).
    Object replication = config.otherKeys().get("layer_replication");
    if (replication instanceof List<?> ranges && !ranges.isEmpty()) {
      throw new VbLoraException("layer_replication " + Json.toCompactJson(replication) + " (layers copied to stack"
          + " a deeper model) is not supported: a merge writes the base model's own layers; train the adapter"
          + " without it");
    }
    if (Boolean.TRUE.equals(config.otherKeys().get("use_qalora"))) {
      throw new VbLoraException("use_qalora=true (QA-LoRA, whose A reads pooled inputs) adapters are not supported:"
          + " a merge adds plain LoRA's B A; train the adapter with use_qalora=false");
    }
    Object invocation = config.otherKeys().get("alora_invocation_tokens");
    if (invocation instanceof List<?> tokens && !tokens.isEmpty()) {
      throw new VbLoraException("alora_invocation_tokens (activated LoRA, which applies only after those tokens)"
          + " is not supported: a merged weight applies to every token; train the adapter without it");
    }
    for (String key : List.of("rank_pattern", "alpha_pattern")) {
      Object pattern = config.otherKeys().get(key);
      if (pattern instanceof Map<?, ?> map && !map.isEmpty()) {
        throw new VbLoraException(key + " " + Json.toCompactJson(pattern)
            + " (per-module rank or alpha) is not supported; only one r and lora_alpha for all modules");
      }
    }
    for (LoraModule module : modules.modules()) {
      if (module.rank() != config.r()) {
        throw new VbLoraException("module " + module.path() + " has rank " + module.rank()
            + " but r is " + config.r());
      }
    }
    for (String key : otherTensors.keySet()) {
      if (LoraSafetensors.isAdapterKey(key)) {
        throw new VbLoraException("other tensor \"" + key + "\" would clash with the adapter's own keys");
      }
    }
  }
}
