package dev.finetune.vblora.savedmodel.adapter;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.data.json.JsonSyntaxException;
import dev.finetune.vblora.savedmodel.VbloraVersion;
import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What this tool records about an adapter beyond PEFT's fields: which vblora wrote it, where the adapter came
 * from and how to put it back on a TensorFlow model. It lives in a file of its own beside adapter_config.json,
 * {@value #FILE_NAME}, so that PEFT reads our adapter_config.json exactly as one it wrote (an extra key there
 * makes PEFT warn about unexpected arguments). Adapters of earlier vblora versions kept it inside
 * adapter_config.json under {@value AdapterConfig#TOOL_METADATA_KEY}; that layout is still read
 * ({@link AdapterFolder#read}), never written.
 *
 * @param sourceModel the base model the adapter was trained on (a path or a built-in name), or null
 * @param targetVariables module path (as used in the adapter's tensor names) to the TF variable name it
 *     adapts, without model prefix; empty (or null) when unknown
 * @param task "classification" or "regression", or null
 * @param labelNames class labels in the order of the head's outputs; empty (or null) when none
 * @param otherKeys further keys, kept as read
 * @param toolVersion the vblora version that made this metadata (written as {@value VbloraVersion#JSON_KEY});
 *     null when the adapter did not say (the older layout)
 */
public record ToolMetadata(String sourceModel, Map<String, String> targetVariables, String task,
    List<String> labelNames, Map<String, Object> otherKeys, String toolVersion) {
  /** The file beside adapter_config.json that holds this metadata. */
  public static final String FILE_NAME = "vblora_metadata.json";

  static final String SOURCE_MODEL = "source_model";
  static final String TARGET_VARIABLES = "target_variables";
  static final String TASK = "task";
  static final String LABEL_NAMES = "label_names";
  /**
   * Key among {@link #otherKeys()}: the data column of the second text when the run trained on text pairs, absent
   * otherwise, so that scoring the adapter on single texts is refused rather than scored on half of each example.
   */
  public static final String TEXT_PAIR_COLUMN = "text_pair_column";

  public ToolMetadata {
    targetVariables = Collections.unmodifiableMap(new LinkedHashMap<>(
        targetVariables == null ? Map.of() : targetVariables));
    labelNames = labelNames == null ? List.of() : List.copyOf(labelNames);
    otherKeys = Collections.unmodifiableMap(new LinkedHashMap<>(otherKeys == null ? Map.of() : otherKeys));
    for (String key : List.of(VbloraVersion.JSON_KEY, SOURCE_MODEL, TARGET_VARIABLES, TASK, LABEL_NAMES)) {
      if (otherKeys.containsKey(key)) {
        throw new VbLoraException("otherKeys must not repeat the typed key \"" + key + "\"");
      }
    }
  }

  /** Metadata made by this vblora (its {@link #toolVersion()} is {@link VbloraVersion#current()}). */
  public static ToolMetadata of(String sourceModel, Map<String, String> targetVariables, String task,
      List<String> labelNames) {
    return new ToolMetadata(sourceModel, targetVariables, task, labelNames, Map.of(), VbloraVersion.current());
  }

  /** {@value #TEXT_PAIR_COLUMN} as recorded, or null when the adapter was trained on single texts (or did not say). */
  public String textPairColumn() {
    return otherKeys.get(TEXT_PAIR_COLUMN) instanceof String column ? column : null;
  }

  /** This metadata as written by {@code version}. */
  public ToolMetadata withToolVersion(String version) {
    return new ToolMetadata(sourceModel, targetVariables, task, labelNames, otherKeys, version);
  }

  Map<String, Object> toJsonMap() {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put(VbloraVersion.JSON_KEY, toolVersion);
    json.put(SOURCE_MODEL, sourceModel);
    json.put(TARGET_VARIABLES, targetVariables);
    json.put(TASK, task);
    json.put(LABEL_NAMES, labelNames);
    json.putAll(otherKeys);
    return json;
  }

  /** The text of {@value #FILE_NAME}: indented JSON in a fixed key order, ending in a newline. */
  String toJson() {
    return Json.toIndentedJson(toJsonMap()) + "\n";
  }

  /** Reads {@value #FILE_NAME}; errors name the file. */
  static ToolMetadata read(Path file) throws IOException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (MalformedInputException e) {
      throw new AdapterFormatException(file.toString(), "not UTF-8 text", e);
    }
    Object root;
    try {
      root = Json.parse(text);
    } catch (JsonSyntaxException e) {
      throw new AdapterFormatException(file.toString(), "not valid JSON (" + e.getMessage() + ")", e);
    }
    return fromJson(root, file.toString());
  }

  /** Reads the metadata object, from its own file or from the older layout's key; {@code source} names it. */
  static ToolMetadata fromJson(Object value, String source) throws AdapterFormatException {
    if (!(value instanceof Map<?, ?> raw)) {
      throw new AdapterFormatException(source, "must be a JSON object, got " + Json.toCompactJson(value));
    }
    @SuppressWarnings("unchecked")
    ConfigFields fields = new ConfigFields((Map<String, Object>) raw, source);
    String version = fields.string(VbloraVersion.JSON_KEY, null);
    String sourceModel = fields.string(SOURCE_MODEL, null);
    String task = fields.string(TASK, null);
    List<String> labels = fields.strings(LABEL_NAMES);
    Map<String, String> targets = fields.stringMap(TARGET_VARIABLES);
    Map<String, Object> rest = fields.remaining();
    return new ToolMetadata(sourceModel, targets, task, labels, rest, version);
  }
}
