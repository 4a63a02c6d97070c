package dev.finetune.vblora.savedmodel.adapter;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * PEFT's {@code VBLoRAConfig} as stored in adapter_config.json ({@code "peft_type": "VBLORA"}). Field names
 * follow PEFT's keys; defaults are PEFT's.
 *
 * @param r rank of the update (PEFT default 4)
 * @param numVectors vectors in the bank, h (default 256)
 * @param vectorLength length of each bank vector and sub-vector, b; in and out features must be divisible
 *     by it (default 256)
 * @param topk bank vectors mixed per sub-vector, k (default 2)
 * @param targetModules modules to adapt, or null for PEFT's per-architecture default
 * @param saveOnlyTopkWeights store only top-k indices and k-1 weights per sub-vector instead of full logits
 *     (smaller, enough for inference and merging, not for further training)
 * @param initVectorBankBound bank init U(-bound, bound) (default 0.02)
 * @param initLogitsStd logits init N(0, std) (default 0.1)
 * @param vbloraDropout dropout on the adapter's input (default 0.0)
 * @param fanInFanOut true for GPT-2 style Conv1D weights stored as [in, out]
 * @param bias "none", "all" or "vblora_only"
 * @param modulesToSave modules trained and saved in full (e.g. a task head), or null
 * @param layersToTransform layer indices to adapt, or null for all
 * @param layersPattern name of the layers container used with layersToTransform, or null
 * @param taskType PEFT task type (e.g. "SEQ_CLS"), or null
 * @param baseModelNameOrPath the base model, or null
 * @param toolMetadata this tool's metadata, or null
 * @param otherKeys keys kept verbatim (PEFT fields not interpreted here, unknown keys)
 */
public record PeftVbLoraConfig(int r, int numVectors, int vectorLength, int topk, TargetModules targetModules,
    boolean saveOnlyTopkWeights, double initVectorBankBound, double initLogitsStd, double vbloraDropout,
    boolean fanInFanOut, String bias, List<String> modulesToSave, List<Integer> layersToTransform,
    List<String> layersPattern, String taskType, String baseModelNameOrPath, ToolMetadata toolMetadata,
    Map<String, Object> otherKeys) implements AdapterConfig {

  public static final String PEFT_TYPE = "VBLORA";

  static final String R = "r";
  static final String NUM_VECTORS = "num_vectors";
  static final String VECTOR_LENGTH = "vector_length";
  static final String TOPK = "topk";
  static final String TARGET_MODULES = "target_modules";
  static final String SAVE_ONLY_TOPK_WEIGHTS = "save_only_topk_weights";
  static final String INIT_VECTOR_BANK_BOUND = "init_vector_bank_bound";
  static final String INIT_LOGITS_STD = "init_logits_std";
  static final String VBLORA_DROPOUT = "vblora_dropout";
  static final String FAN_IN_FAN_OUT = "fan_in_fan_out";
  static final String BIAS = "bias";
  static final String MODULES_TO_SAVE = "modules_to_save";
  static final String LAYERS_TO_TRANSFORM = "layers_to_transform";
  static final String LAYERS_PATTERN = "layers_pattern";
  static final String TASK_TYPE = "task_type";
  static final String BASE_MODEL_NAME_OR_PATH = "base_model_name_or_path";

  private static final Set<String> TYPED_KEYS = Set.of(AdapterConfig.PEFT_TYPE_KEY, R, NUM_VECTORS,
      VECTOR_LENGTH, TOPK, TARGET_MODULES, SAVE_ONLY_TOPK_WEIGHTS, INIT_VECTOR_BANK_BOUND, INIT_LOGITS_STD,
      VBLORA_DROPOUT, FAN_IN_FAN_OUT, BIAS, MODULES_TO_SAVE, LAYERS_TO_TRANSFORM, LAYERS_PATTERN, TASK_TYPE,
      BASE_MODEL_NAME_OR_PATH, AdapterConfig.TOOL_METADATA_KEY);
  private static final Set<String> BIAS_VALUES = Set.of("none", "all", "vblora_only");

  public PeftVbLoraConfig {
    requirePositive("r", r);
    requirePositive(NUM_VECTORS, numVectors);
    requirePositive(VECTOR_LENGTH, vectorLength);
    if (topk < 1 || topk > numVectors) {
      throw new IllegalArgumentException("topk " + topk + " must be between 1 and num_vectors " + numVectors);
    }
    requireNonNegative(INIT_VECTOR_BANK_BOUND, initVectorBankBound);
    requireNonNegative(INIT_LOGITS_STD, initLogitsStd);
    if (!(vbloraDropout >= 0 && vbloraDropout < 1)) {
      throw new IllegalArgumentException("vblora_dropout " + vbloraDropout + " must be in [0, 1)");
    }
    if (!BIAS_VALUES.contains(bias)) {
      throw new IllegalArgumentException("bias \"" + bias + "\" must be one of " + BIAS_VALUES);
    }
    if (layersPattern != null && !layersPattern.isEmpty() && layersToTransform == null) {
      throw new IllegalArgumentException("layers_pattern " + layersPattern
          + " is only used together with layers_to_transform; set both or neither");
    }
    modulesToSave = modulesToSave == null ? null : List.copyOf(modulesToSave);
    layersToTransform = layersToTransform == null ? null : List.copyOf(layersToTransform);
    layersPattern = layersPattern == null ? null : List.copyOf(layersPattern);
    otherKeys = checkedOtherKeys(otherKeys, TYPED_KEYS);
  }

  @Override
  public String peftType() {
    return PEFT_TYPE;
  }

  /** A builder with PEFT's defaults and the keys PEFT itself writes for a fresh adapter. */
  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  /** This config with {@code save_only_topk_weights} set. */
  public PeftVbLoraConfig withSaveOnlyTopkWeights(boolean value) {
    return toBuilder().saveOnlyTopkWeights(value).build();
  }

  @Override
  public Map<String, Object> toJsonMap() {
    Map<String, Object> json = new LinkedHashMap<>(otherKeys);
    json.put(AdapterConfig.PEFT_TYPE_KEY, PEFT_TYPE);
    json.put(R, (long) r);
    json.put(NUM_VECTORS, (long) numVectors);
    json.put(VECTOR_LENGTH, (long) vectorLength);
    json.put(TOPK, (long) topk);
    json.put(TARGET_MODULES, targetModules == null ? null : targetModules.toJson());
    json.put(SAVE_ONLY_TOPK_WEIGHTS, saveOnlyTopkWeights);
    json.put(INIT_VECTOR_BANK_BOUND, initVectorBankBound);
    json.put(INIT_LOGITS_STD, initLogitsStd);
    json.put(VBLORA_DROPOUT, vbloraDropout);
    json.put(FAN_IN_FAN_OUT, fanInFanOut);
    json.put(BIAS, bias);
    json.put(MODULES_TO_SAVE, modulesToSave);
    json.put(LAYERS_TO_TRANSFORM, layersToTransform == null ? null
        : layersToTransform.stream().map(Integer::longValue).toList());
    json.put(LAYERS_PATTERN, layersPattern);
    json.put(TASK_TYPE, taskType);
    json.put(BASE_MODEL_NAME_OR_PATH, baseModelNameOrPath);
    if (toolMetadata != null) {
      json.put(AdapterConfig.TOOL_METADATA_KEY, toolMetadata.toJsonMap());
    }
    return json;
  }

  static PeftVbLoraConfig fromJson(Map<String, Object> json, String source) throws AdapterFormatException {
    ConfigFields f = new ConfigFields(json, source);
    f.requiredString(AdapterConfig.PEFT_TYPE_KEY, PEFT_TYPE);
    Builder b = new Builder()
        .r(f.integer(R, 4))
        .numVectors(f.integer(NUM_VECTORS, 256))
        .vectorLength(f.integer(VECTOR_LENGTH, 256))
        .topk(f.integer(TOPK, 2))
        .targetModules(f.targetModules(TARGET_MODULES))
        .saveOnlyTopkWeights(f.bool(SAVE_ONLY_TOPK_WEIGHTS, false))
        .initVectorBankBound(f.number(INIT_VECTOR_BANK_BOUND, 0.02))
        .initLogitsStd(f.number(INIT_LOGITS_STD, 0.1))
        .vbloraDropout(f.number(VBLORA_DROPOUT, 0.0))
        .fanInFanOut(f.bool(FAN_IN_FAN_OUT, false))
        .bias(f.requiredString(BIAS, "none"))
        .modulesToSave(f.strings(MODULES_TO_SAVE))
        .layersToTransform(f.integers(LAYERS_TO_TRANSFORM))
        .layersPattern(f.strings(LAYERS_PATTERN))
        .taskType(f.string(TASK_TYPE, null))
        .baseModelNameOrPath(f.string(BASE_MODEL_NAME_OR_PATH, null))
        .toolMetadata(f.toolMetadata(AdapterConfig.TOOL_METADATA_KEY));
    b.otherKeys(f.remaining());
    try {
      return b.build();
    } catch (IllegalArgumentException e) {
      throw new AdapterFormatException(source, e.getMessage(), e);
    }
  }

  static void requirePositive(String key, int value) {
    if (value < 1) {
      throw new IllegalArgumentException(key + " " + value + " must be at least 1");
    }
  }

  static void requireNonNegative(String key, double value) {
    if (!(value >= 0) || Double.isInfinite(value)) {
      throw new IllegalArgumentException(key + " " + value + " must be a finite number >= 0");
    }
  }

  static Map<String, Object> checkedOtherKeys(Map<String, Object> otherKeys, Set<String> typedKeys) {
    for (String key : typedKeys) {
      if (otherKeys.containsKey(key)) {
        throw new IllegalArgumentException("otherKeys must not repeat the typed key \"" + key + "\"");
      }
    }
    return Collections.unmodifiableMap(new LinkedHashMap<>(otherKeys));
  }

  /** Builds a config; starts from PEFT's defaults. */
  public static final class Builder {
    private int r = 4;
    private int numVectors = 256;
    private int vectorLength = 256;
    private int topk = 2;
    private TargetModules targetModules;
    private boolean saveOnlyTopkWeights;
    private double initVectorBankBound = 0.02;
    private double initLogitsStd = 0.1;
    private double vbloraDropout;
    private boolean fanInFanOut;
    private String bias = "none";
    private List<String> modulesToSave;
    private List<Integer> layersToTransform;
    private List<String> layersPattern;
    private String taskType;
    private String baseModelNameOrPath;
    private ToolMetadata toolMetadata;
    private Map<String, Object> otherKeys = freshAdapterKeys();

    Builder() {}

    Builder(PeftVbLoraConfig c) {
      r = c.r;
      numVectors = c.numVectors;
      vectorLength = c.vectorLength;
      topk = c.topk;
      targetModules = c.targetModules;
      saveOnlyTopkWeights = c.saveOnlyTopkWeights;
      initVectorBankBound = c.initVectorBankBound;
      initLogitsStd = c.initLogitsStd;
      vbloraDropout = c.vbloraDropout;
      fanInFanOut = c.fanInFanOut;
      bias = c.bias;
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

    public Builder numVectors(int value) {
      numVectors = value;
      return this;
    }

    public Builder vectorLength(int value) {
      vectorLength = value;
      return this;
    }

    public Builder topk(int value) {
      topk = value;
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

    public Builder saveOnlyTopkWeights(boolean value) {
      saveOnlyTopkWeights = value;
      return this;
    }

    public Builder initVectorBankBound(double value) {
      initVectorBankBound = value;
      return this;
    }

    public Builder initLogitsStd(double value) {
      initLogitsStd = value;
      return this;
    }

    public Builder vbloraDropout(double value) {
      vbloraDropout = value;
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

    /** Replaces the verbatim keys (by default those PEFT writes for a fresh adapter). */
    public Builder otherKeys(Map<String, Object> value) {
      otherKeys = value;
      return this;
    }

    public PeftVbLoraConfig build() {
      return new PeftVbLoraConfig(r, numVectors, vectorLength, topk, targetModules, saveOnlyTopkWeights,
          initVectorBankBound, initLogitsStd, vbloraDropout, fanInFanOut, bias, modulesToSave, layersToTransform,
          layersPattern, taskType, baseModelNameOrPath, toolMetadata, otherKeys);
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
