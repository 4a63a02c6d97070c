package dev.finetune.vblora.savedmodel.adapter;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * PEFT's {@code LoraConfig} as stored in adapter_config.json ({@code "peft_type": "LORA"}), for the LoRA
 * baseline. Field names follow PEFT's keys; defaults are PEFT's.
 *
 * @param r rank (PEFT default 8)
 * @param loraAlpha alpha; the update is scaled by alpha / r, or alpha / sqrt(r) with rsLoRA (default 8)
 * @param targetModules modules to adapt, or null for PEFT's per-architecture default
 * @param loraDropout dropout on the adapter's input (default 0.0)
 * @param fanInFanOut true for GPT-2 style Conv1D weights stored as [in, out]
 * @param bias "none", "all" or "lora_only"
 * @param useRslora scale by alpha / sqrt(r) instead of alpha / r
 * @param modulesToSave modules trained and saved in full (e.g. a task head), or null
 * @param layersToTransform layer indices to adapt, or null for all
 * @param layersPattern name of the layers container used with layersToTransform, or null
 * @param taskType PEFT task type (e.g. "SEQ_CLS"), or null
 * @param baseModelNameOrPath the base model, or null
 * @param toolMetadata this tool's metadata, or null
 * @param otherKeys keys kept verbatim (PEFT fields not interpreted here, such as use_dora or rank_pattern,
 *     and unknown keys)
 */
public record PeftLoraConfig(int r, double loraAlpha, TargetModules targetModules, double loraDropout,
    boolean fanInFanOut, String bias, boolean useRslora, List<String> modulesToSave,
    List<Integer> layersToTransform, List<String> layersPattern, String taskType, String baseModelNameOrPath,
    ToolMetadata toolMetadata, Map<String, Object> otherKeys) implements AdapterConfig {

  public static final String PEFT_TYPE = "LORA";

  static final String LORA_ALPHA = "lora_alpha";
  static final String LORA_DROPOUT = "lora_dropout";
  static final String USE_RSLORA = "use_rslora";

  private static final Set<String> TYPED_KEYS = Set.of(AdapterConfig.PEFT_TYPE_KEY, PeftVbLoraConfig.R,
      LORA_ALPHA, PeftVbLoraConfig.TARGET_MODULES, LORA_DROPOUT, PeftVbLoraConfig.FAN_IN_FAN_OUT,
      PeftVbLoraConfig.BIAS, USE_RSLORA, PeftVbLoraConfig.MODULES_TO_SAVE, PeftVbLoraConfig.LAYERS_TO_TRANSFORM,
      PeftVbLoraConfig.LAYERS_PATTERN, PeftVbLoraConfig.TASK_TYPE, PeftVbLoraConfig.BASE_MODEL_NAME_OR_PATH,
      AdapterConfig.TOOL_METADATA_KEY);
  private static final Set<String> BIAS_VALUES = Set.of("none", "all", "lora_only");

  public PeftLoraConfig {
    PeftVbLoraConfig.requirePositive("r", r);
    if (!Double.isFinite(loraAlpha)) {
      throw new IllegalArgumentException("lora_alpha " + loraAlpha + " must be a finite number");
    }
    if (!(loraDropout >= 0 && loraDropout < 1)) {
      throw new IllegalArgumentException("lora_dropout " + loraDropout + " must be in [0, 1)");
    }
    if (!BIAS_VALUES.contains(bias)) {
      throw new IllegalArgumentException("bias \"" + bias + "\" must be one of " + BIAS_VALUES);
    }
    modulesToSave = modulesToSave == null ? null : List.copyOf(modulesToSave);
    layersToTransform = layersToTransform == null ? null : List.copyOf(layersToTransform);
    layersPattern = layersPattern == null ? null : List.copyOf(layersPattern);
    otherKeys = PeftVbLoraConfig.checkedOtherKeys(otherKeys, TYPED_KEYS);
  }

  @Override
  public String peftType() {
    return PEFT_TYPE;
  }

  /** The factor PEFT multiplies B A by: alpha / r, or alpha / sqrt(r) with rsLoRA. */
  public double scaling() {
    return useRslora ? loraAlpha / Math.sqrt(r) : loraAlpha / r;
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  @Override
  public Map<String, Object> toJsonMap() {
    Map<String, Object> json = new LinkedHashMap<>(otherKeys);
    json.put(AdapterConfig.PEFT_TYPE_KEY, PEFT_TYPE);
    json.put(PeftVbLoraConfig.R, (long) r);
    // PEFT declares lora_alpha an int; write whole numbers as such so PEFT's own files round-trip.
    boolean whole = loraAlpha == Math.rint(loraAlpha) && Math.abs(loraAlpha) < 1e15;
    json.put(LORA_ALPHA, whole ? (Object) (long) loraAlpha : (Object) loraAlpha);
    json.put(PeftVbLoraConfig.TARGET_MODULES, targetModules == null ? null : targetModules.toJson());
    json.put(LORA_DROPOUT, loraDropout);
    json.put(PeftVbLoraConfig.FAN_IN_FAN_OUT, fanInFanOut);
    json.put(PeftVbLoraConfig.BIAS, bias);
    json.put(USE_RSLORA, useRslora);
    json.put(PeftVbLoraConfig.MODULES_TO_SAVE, modulesToSave);
    json.put(PeftVbLoraConfig.LAYERS_TO_TRANSFORM, layersToTransform == null ? null
        : layersToTransform.stream().map(Integer::longValue).toList());
    json.put(PeftVbLoraConfig.LAYERS_PATTERN, layersPattern);
    json.put(PeftVbLoraConfig.TASK_TYPE, taskType);
    json.put(PeftVbLoraConfig.BASE_MODEL_NAME_OR_PATH, baseModelNameOrPath);
    if (toolMetadata != null) {
      json.put(AdapterConfig.TOOL_METADATA_KEY, toolMetadata.toJsonMap());
    }
    return json;
  }

  static PeftLoraConfig fromJson(Map<String, Object> json, String source) throws AdapterFormatException {
    ConfigFields f = new ConfigFields(json, source);
    f.requiredString(AdapterConfig.PEFT_TYPE_KEY, PEFT_TYPE);
    Builder b = new Builder()
        .r(f.integer(PeftVbLoraConfig.R, 8))
        .loraAlpha(f.number(LORA_ALPHA, 8))
        .targetModules(f.targetModules(PeftVbLoraConfig.TARGET_MODULES))
        .loraDropout(f.number(LORA_DROPOUT, 0.0))
        .fanInFanOut(f.bool(PeftVbLoraConfig.FAN_IN_FAN_OUT, false))
        .bias(f.requiredString(PeftVbLoraConfig.BIAS, "none"))
        .useRslora(f.bool(USE_RSLORA, false))
        .modulesToSave(f.strings(PeftVbLoraConfig.MODULES_TO_SAVE))
        .layersToTransform(f.integers(PeftVbLoraConfig.LAYERS_TO_TRANSFORM))
        .layersPattern(f.strings(PeftVbLoraConfig.LAYERS_PATTERN))
        .taskType(f.string(PeftVbLoraConfig.TASK_TYPE, null))
        .baseModelNameOrPath(f.string(PeftVbLoraConfig.BASE_MODEL_NAME_OR_PATH, null))
        .toolMetadata(f.toolMetadata(AdapterConfig.TOOL_METADATA_KEY));
    b.otherKeys(f.remaining());
    try {
      return b.build();
    } catch (IllegalArgumentException e) {
      throw new AdapterFormatException(source, e.getMessage(), e);
    }
  }

  /** Builds a config; starts from PEFT's defaults. */
  public static final class Builder {
    private int r = 8;
    private double loraAlpha = 8;
    private TargetModules targetModules;
    private double loraDropout;
    private boolean fanInFanOut;
    private String bias = "none";
    private boolean useRslora;
    private List<String> modulesToSave;
    private List<Integer> layersToTransform;
    private List<String> layersPattern;
    private String taskType;
    private String baseModelNameOrPath;
    private ToolMetadata toolMetadata;
    private Map<String, Object> otherKeys = freshAdapterKeys();

    Builder() {}

    Builder(PeftLoraConfig c) {
      r = c.r;
      loraAlpha = c.loraAlpha;
      targetModules = c.targetModules;
      loraDropout = c.loraDropout;
      fanInFanOut = c.fanInFanOut;
      bias = c.bias;
      useRslora = c.useRslora;
      modulesToSave = c.modulesToSave;
      layersToTransform = c.layersToTransform;
      layersPattern = c.layersPattern;
      taskType = c.taskType;
      baseModelNameOrPath = c.baseModelNameOrPath;
      toolMetadata = c.toolMetadata;
      otherKeys = c.otherKeys;
    }

    public Builder r(int value) {
      r = value;
      return this;
    }

    public Builder loraAlpha(double value) {
      loraAlpha = value;
      return this;
    }

    public Builder targetModules(TargetModules value) {
      targetModules = value;
      return this;
    }

    public Builder targetModules(List<String> names) {
      targetModules = TargetModules.names(names);
      return this;
    }

    public Builder loraDropout(double value) {
      loraDropout = value;
      return this;
    }

    public Builder fanInFanOut(boolean value) {
      fanInFanOut = value;
      return this;
    }

    public Builder bias(String value) {
      bias = value;
      return this;
    }

    public Builder useRslora(boolean value) {
      useRslora = value;
      return this;
    }

    public Builder modulesToSave(List<String> value) {
      modulesToSave = value;
      return this;
    }

    public Builder layersToTransform(List<Integer> value) {
      layersToTransform = value;
      return this;
    }

    public Builder layersPattern(List<String> value) {
      layersPattern = value;
      return this;
    }

    public Builder taskType(String value) {
      taskType = value;
      return this;
    }

    public Builder baseModelNameOrPath(String value) {
      baseModelNameOrPath = value;
      return this;
    }

    public Builder toolMetadata(ToolMetadata value) {
      toolMetadata = value;
      return this;
    }

    /** Replaces the verbatim keys (by default those PEFT writes for a fresh LoRA adapter). */
    public Builder otherKeys(Map<String, Object> value) {
      otherKeys = value;
      return this;
    }

    public PeftLoraConfig build() {
      return new PeftLoraConfig(r, loraAlpha, targetModules, loraDropout, fanInFanOut, bias, useRslora,
          modulesToSave, layersToTransform, layersPattern, taskType, baseModelNameOrPath, toolMetadata,
          otherKeys);
    }
  }

  private static Map<String, Object> freshAdapterKeys() {
    Map<String, Object> keys = PeftVbLoraConfig.freshAdapterKeys();
    keys.put("alpha_pattern", Map.of());
    keys.put("init_lora_weights", true);
    keys.put("rank_pattern", Map.of());
    keys.put("use_dora", false);
    return keys;
  }
}
