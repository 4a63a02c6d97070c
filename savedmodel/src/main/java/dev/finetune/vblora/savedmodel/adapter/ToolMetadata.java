package dev.finetune.vblora.savedmodel.adapter;

import dev.finetune.vblora.data.json.Json;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What this tool records about an adapter beyond PEFT's fields, stored in adapter_config.json under
 * {@value AdapterConfig#TOOL_METADATA_KEY} (PEFT ignores keys it does not know): where the adapter came from
 * and how to put it back on a TensorFlow model.
 *
 * @param sourceModel the base model the adapter was trained on (a path or a built-in name), or null
 * @param targetVariables module path (as used in the adapter's tensor names) to the TF variable name it
 *     adapts, without model prefix; empty (or null) when unknown
 * @param task "classification" or "regression", or null
 * @param labelNames class labels in the order of the head's outputs; empty (or null) when none
 * @param otherKeys further keys, kept as read
 */
public record ToolMetadata(String sourceModel, Map<String, String> targetVariables, String task,
    List<String> labelNames, Map<String, Object> otherKeys) {
  static final String SOURCE_MODEL = "source_model";
  static final String TARGET_VARIABLES = "target_variables";
  static final String TASK = "task";
  static final String LABEL_NAMES = "label_names";

  public ToolMetadata {
    targetVariables = Collections.unmodifiableMap(new LinkedHashMap<>(
        targetVariables == null ? Map.of() : targetVariables));
    labelNames = labelNames == null ? List.of() : List.copyOf(labelNames);
    otherKeys = Collections.unmodifiableMap(new LinkedHashMap<>(otherKeys == null ? Map.of() : otherKeys));
    for (String key : List.of(SOURCE_MODEL, TARGET_VARIABLES, TASK, LABEL_NAMES)) {
      if (otherKeys.containsKey(key)) {
        throw new IllegalArgumentException("otherKeys must not repeat the typed key \"" + key + "\"");
      }
    }
  }

  public static ToolMetadata of(String sourceModel, Map<String, String> targetVariables, String task,
      List<String> labelNames) {
    return new ToolMetadata(sourceModel, targetVariables, task, labelNames, Map.of());
  }

  Map<String, Object> toJsonMap() {
    Map<String, Object> json = new LinkedHashMap<>(otherKeys);
    json.put(SOURCE_MODEL, sourceModel);
    json.put(TARGET_VARIABLES, targetVariables);
    json.put(TASK, task);
    json.put(LABEL_NAMES, labelNames);
    return json;
  }

  static ToolMetadata fromJson(Object value, String source) throws AdapterFormatException {
    if (!(value instanceof Map<?, ?> raw)) {
      throw new AdapterFormatException(source, "must be a JSON object, got " + Json.toCompactJson(value));
    }
    @SuppressWarnings("unchecked")
    ConfigFields fields = new ConfigFields((Map<String, Object>) raw, source);
    String sourceModel = fields.string(SOURCE_MODEL, null);
    String task = fields.string(TASK, null);
    List<String> labels = fields.strings(LABEL_NAMES);
    Map<String, String> targets = fields.stringMap(TARGET_VARIABLES);
    Map<String, Object> rest = fields.remaining();
    return new ToolMetadata(sourceModel, targets, task, labels, rest);
  }
}
