package dev.finetune.vblora.savedmodel.adapter;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the builders of {@link PeftVbLoraConfig} and {@link PeftLoraConfig} share: r, bias, the
 * {@link PeftCommonFields} and the verbatim keys, with their setters, and reading a config from its JSON.
 * Each config's builder adds only its own fields.
 *
 * @param <B> the concrete builder, returned by the setters so that calls chain
 * @param <C> the config it builds
 */
public abstract class PeftConfigBuilder<B extends PeftConfigBuilder<B, C>, C extends AdapterConfig> {
  int r;
  String bias = "none";
  private TargetModules targetModules;
  private boolean fanInFanOut;
  private List<String> modulesToSave;
  private List<Integer> layersToTransform;
  private List<String> layersPattern;
  private String taskType;
  private String baseModelNameOrPath;
  private ToolMetadata toolMetadata;
  Map<String, Object> otherKeys;

  /** Starts from PEFT's defaults: rank {@code r} and the verbatim keys PEFT writes for a fresh adapter. */
  PeftConfigBuilder(int r, Map<String, Object> freshAdapterKeys) {
    this.r = r;
    this.otherKeys = freshAdapterKeys;
    setCommon(PeftCommonFields.DEFAULTS);
  }

  /** Starts from an existing config. */
  PeftConfigBuilder(C config) {
    this.r = config.r();
    this.bias = config.bias();
    this.otherKeys = config.otherKeys();
    setCommon(config.common());
  }

  abstract B self();

  public abstract C build();

  public B r(int value) {
    r = value;
    return self();
  }

  public B bias(String value) {
    bias = value;
    return self();
  }

  /** Sets all the fields both configs share at once. */
  public B common(PeftCommonFields value) {
    setCommon(value);
    return self();
  }

  private void setCommon(PeftCommonFields value) {
    targetModules = value.targetModules();
    fanInFanOut = value.fanInFanOut();
    modulesToSave = value.modulesToSave();
    layersToTransform = value.layersToTransform();
    layersPattern = value.layersPattern();
    taskType = value.taskType();
    baseModelNameOrPath = value.baseModelNameOrPath();
    toolMetadata = value.toolMetadata();
  }

  public B targetModules(TargetModules value) {
    targetModules = value;
    return self();
  }

  public B targetModules(List<String> names) {
    targetModules = TargetModules.names(names);
    return self();
  }

  public B fanInFanOut(boolean value) {
    fanInFanOut = value;
    return self();
  }

  public B modulesToSave(List<String> value) {
    modulesToSave = value;
    return self();
  }

  public B layersToTransform(List<Integer> value) {
    layersToTransform = value;
    return self();
  }

  public B layersPattern(List<String> value) {
    layersPattern = value;
    return self();
  }

  public B taskType(String value) {
    taskType = value;
    return self();
  }

  public B baseModelNameOrPath(String value) {
    baseModelNameOrPath = value;
    return self();
  }

  public B toolMetadata(ToolMetadata value) {
    toolMetadata = value;
    return self();
  }

  /** Replaces the verbatim keys (by default those PEFT writes for a fresh adapter of this type). */
  public B otherKeys(Map<String, Object> value) {
    otherKeys = value;
    return self();
  }

  /** The shared fields as set so far. */
  PeftCommonFields common() {
    return new PeftCommonFields(targetModules, fanInFanOut, modulesToSave, layersToTransform, layersPattern,
        taskType, baseModelNameOrPath, toolMetadata);
  }

  /**
   * Reads peft_type, bias and the shared fields from {@code f}, keeps every key not read so far verbatim, and
   * builds; a value the config refuses becomes an {@link AdapterFormatException} that names the file. Read a
   * config's own fields (and r, whose default differs) into this builder first.
   */
  C buildFrom(ConfigFields f) throws AdapterFormatException {
    f.requiredString(AdapterConfig.PEFT_TYPE_KEY, null);
    bias(f.requiredString(PeftCommonFields.BIAS, "none"));
    common(PeftCommonFields.read(f));
    otherKeys(f.remaining());
    try {
      return build();
    } catch (IllegalArgumentException e) {
      throw f.invalid(e);
    }
  }

  /** Keys every PEFT config carries that this tool does not interpret, with the values PEFT saves. */
  static Map<String, Object> freshAdapterKeys() {
    Map<String, Object> keys = new LinkedHashMap<>();
    keys.put("auto_mapping", null);
    keys.put("exclude_modules", null);
    keys.put("inference_mode", true);
    keys.put("revision", null);
    return keys;
  }
}
