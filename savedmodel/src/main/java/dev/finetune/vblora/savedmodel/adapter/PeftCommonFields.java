package dev.finetune.vblora.savedmodel.adapter;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The adapter_config.json fields that PEFT's {@code LoraConfig} and {@code VBLoRAConfig} both declare with the
 * same keys, defaults and meaning: which modules are adapted, and where the adapter comes from. Read, written
 * and validated here once for both configs.
 *
 * @param targetModules modules to adapt, or null for PEFT's per-architecture default
 * @param fanInFanOut true for GPT-2 style Conv1D weights stored as [in, out]
 * @param modulesToSave modules trained and saved in full (e.g. a task head), or null
 * @param layersToTransform layer indices to adapt, or null for all
 * @param layersPattern name of the layers container used with layersToTransform, or null
 * @param taskType PEFT task type (e.g. "SEQ_CLS"), or null
 * @param baseModelNameOrPath the base model, or null
 * @param toolMetadata this tool's metadata, or null; read from the older layout's key
 *     {@value AdapterConfig#TOOL_METADATA_KEY} or set by {@link AdapterFolder#read} from
 *     {@value ToolMetadata#FILE_NAME}, and never written into the config
 */
public record PeftCommonFields(TargetModules targetModules, boolean fanInFanOut, List<String> modulesToSave,
    List<Integer> layersToTransform, List<String> layersPattern, String taskType, String baseModelNameOrPath,
    ToolMetadata toolMetadata) {

  /** PEFT's defaults: nothing set. */
  public static final PeftCommonFields DEFAULTS =
      new PeftCommonFields(null, false, null, null, null, null, null, null);

  // Keys both configs carry but with their own default (r) or allowed values (bias).
  static final String R = "r";
  static final String BIAS = "bias";

  static final String TARGET_MODULES = "target_modules";
  static final String FAN_IN_FAN_OUT = "fan_in_fan_out";
  static final String MODULES_TO_SAVE = "modules_to_save";
  static final String LAYERS_TO_TRANSFORM = "layers_to_transform";
  static final String LAYERS_PATTERN = "layers_pattern";
  static final String TASK_TYPE = "task_type";
  static final String BASE_MODEL_NAME_OR_PATH = "base_model_name_or_path";

  /** Every key a config types itself besides its own: peft_type, r, bias, these fields and tool metadata. */
  private static final Set<String> SHARED_KEYS = Set.of(AdapterConfig.PEFT_TYPE_KEY, R, BIAS, TARGET_MODULES,
      FAN_IN_FAN_OUT, MODULES_TO_SAVE, LAYERS_TO_TRANSFORM, LAYERS_PATTERN, TASK_TYPE, BASE_MODEL_NAME_OR_PATH,
      AdapterConfig.TOOL_METADATA_KEY);

  public PeftCommonFields {
    modulesToSave = modulesToSave == null ? null : List.copyOf(modulesToSave);
    layersToTransform = layersToTransform == null ? null : List.copyOf(layersToTransform);
    layersPattern = layersPattern == null ? null : List.copyOf(layersPattern);
  }

  /** Reads these fields (missing keys take PEFT's defaults; tool metadata from the older layout's key). */
  static PeftCommonFields read(ConfigFields f) throws AdapterFormatException {
    return new PeftCommonFields(f.targetModules(TARGET_MODULES), f.bool(FAN_IN_FAN_OUT, false),
        f.strings(MODULES_TO_SAVE), f.integers(LAYERS_TO_TRANSFORM), f.strings(LAYERS_PATTERN),
        f.string(TASK_TYPE, null), f.string(BASE_MODEL_NAME_OR_PATH, null),
        f.toolMetadata(AdapterConfig.TOOL_METADATA_KEY));
  }

  /**
   * Adds these fields under PEFT's keys. Tool metadata is not among them: {@link AdapterFolder} writes it to
   * {@value ToolMetadata#FILE_NAME} beside the config, so that the config is exactly what PEFT writes.
   */
  void putInto(Map<String, Object> json) {
    json.put(TARGET_MODULES, targetModules == null ? null : targetModules.toJson());
    json.put(FAN_IN_FAN_OUT, fanInFanOut);
    json.put(MODULES_TO_SAVE, modulesToSave);
    json.put(LAYERS_TO_TRANSFORM, layersToTransform == null ? null
        : layersToTransform.stream().map(Integer::longValue).toList());
    json.put(LAYERS_PATTERN, layersPattern);
    json.put(TASK_TYPE, taskType);
    json.put(BASE_MODEL_NAME_OR_PATH, baseModelNameOrPath);
  }

  /**
   * An unmodifiable copy of a config's verbatim keys, refusing any key the config types itself ({@code ownKeys}
   * or one of the shared keys), which would otherwise be written twice.
   */
  static Map<String, Object> checkedOtherKeys(Map<String, Object> otherKeys, Set<String> ownKeys) {
    for (Set<String> typed : List.of(SHARED_KEYS, ownKeys)) {
      for (String key : typed) {
        if (otherKeys.containsKey(key)) {
          throw new VbLoraException("otherKeys must not repeat the typed key \"" + key + "\"");
        }
      }
    }
    return Collections.unmodifiableMap(new LinkedHashMap<>(otherKeys));
  }
}
