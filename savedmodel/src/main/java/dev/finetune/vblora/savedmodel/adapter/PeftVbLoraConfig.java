package dev.finetune.vblora.savedmodel.adapter;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
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
 * @param saveOnlyTopkWeights store only top-k indices and k-1 weights per sub-vector instead of full logits
 *     (smaller, enough for inference and merging, not for further training)
 * @param initVectorBankBound bank init U(-bound, bound) (default 0.02)
 * @param initLogitsStd logits init N(0, std) (default 0.1)
 * @param vbloraDropout dropout on the adapter's input (default 0.0)
 * @param bias "none", "all" or "vblora_only"
 * @param common the fields PEFT's LoRA config shares: target modules, layers, task type, base model, tool
 *     metadata
 * @param otherKeys keys kept verbatim (PEFT fields not interpreted here, unknown keys)
 */
public record PeftVbLoraConfig(int r, int numVectors, int vectorLength, int topk, boolean saveOnlyTopkWeights,
    double initVectorBankBound, double initLogitsStd, double vbloraDropout, String bias, PeftCommonFields common,
    Map<String, Object> otherKeys) implements AdapterConfig {

  public static final String PEFT_TYPE = "VBLORA";

  static final String NUM_VECTORS = "num_vectors";
  static final String VECTOR_LENGTH = "vector_length";
  static final String TOPK = "topk";
  static final String SAVE_ONLY_TOPK_WEIGHTS = "save_only_topk_weights";
  static final String INIT_VECTOR_BANK_BOUND = "init_vector_bank_bound";
  static final String INIT_LOGITS_STD = "init_logits_std";
  static final String VBLORA_DROPOUT = "vblora_dropout";

  private static final Set<String> OWN_KEYS = Set.of(NUM_VECTORS, VECTOR_LENGTH, TOPK, SAVE_ONLY_TOPK_WEIGHTS,
      INIT_VECTOR_BANK_BOUND, INIT_LOGITS_STD, VBLORA_DROPOUT);
  private static final Set<String> BIAS_VALUES = Set.of("none", "all", "vblora_only");

  public PeftVbLoraConfig {
    requirePositive(PeftCommonFields.R, r);
    requirePositive(NUM_VECTORS, numVectors);
    requirePositive(VECTOR_LENGTH, vectorLength);
    if (topk < 1 || topk > numVectors) {
      throw new VbLoraException("topk " + topk + " must be between 1 and num_vectors " + numVectors);
    }
    requireNonNegative(INIT_VECTOR_BANK_BOUND, initVectorBankBound);
    requireNonNegative(INIT_LOGITS_STD, initLogitsStd);
    requireDropout(VBLORA_DROPOUT, vbloraDropout);
    requireOneOf(PeftCommonFields.BIAS, bias, BIAS_VALUES);
    Objects.requireNonNull(common, "common fields (PeftCommonFields.DEFAULTS for none)");
    if (common.layersPattern() != null && !common.layersPattern().isEmpty()
        && common.layersToTransform() == null) {
      throw new VbLoraException("layers_pattern " + common.layersPattern()
          + " is only used together with layers_to_transform; set both or neither");
    }
    otherKeys = PeftCommonFields.checkedOtherKeys(otherKeys, OWN_KEYS);
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

  @Override
  public PeftVbLoraConfig withToolMetadata(ToolMetadata metadata) {
    return toBuilder().toolMetadata(metadata).build();
  }

  /** This config with {@code save_only_topk_weights} set. */
  public PeftVbLoraConfig withSaveOnlyTopkWeights(boolean value) {
    return toBuilder().saveOnlyTopkWeights(value).build();
  }

  @Override
  public Map<String, Object> toJsonMap() {
    Map<String, Object> json = new LinkedHashMap<>(otherKeys);
    json.put(AdapterConfig.PEFT_TYPE_KEY, PEFT_TYPE);
    json.put(PeftCommonFields.R, (long) r);
    json.put(NUM_VECTORS, (long) numVectors);
    json.put(VECTOR_LENGTH, (long) vectorLength);
    json.put(TOPK, (long) topk);
    json.put(SAVE_ONLY_TOPK_WEIGHTS, saveOnlyTopkWeights);
    json.put(INIT_VECTOR_BANK_BOUND, initVectorBankBound);
    json.put(INIT_LOGITS_STD, initLogitsStd);
    json.put(VBLORA_DROPOUT, vbloraDropout);
    json.put(PeftCommonFields.BIAS, bias);
    common.putInto(json);
    return json;
  }

  static PeftVbLoraConfig fromJson(Map<String, Object> json, String source) throws AdapterFormatException {
    ConfigFields f = new ConfigFields(json, source);
    return new Builder()
        .r(f.integer(PeftCommonFields.R, 4))
        .numVectors(f.integer(NUM_VECTORS, 256))
        .vectorLength(f.integer(VECTOR_LENGTH, 256))
        .topk(f.integer(TOPK, 2))
        .saveOnlyTopkWeights(f.bool(SAVE_ONLY_TOPK_WEIGHTS, false))
        .initVectorBankBound(f.number(INIT_VECTOR_BANK_BOUND, 0.02))
        .initLogitsStd(f.number(INIT_LOGITS_STD, 0.1))
        .vbloraDropout(f.number(VBLORA_DROPOUT, 0.0))
        .buildFrom(f);
  }

  static void requirePositive(String key, int value) {
    if (value < 1) {
      throw new VbLoraException(key + " " + value + " must be at least 1");
    }
  }

  static void requireNonNegative(String key, double value) {
    if (!(value >= 0) || Double.isInfinite(value)) {
      throw new VbLoraException(key + " " + value + " must be a finite number >= 0");
    }
  }

  static void requireDropout(String key, double value) {
    if (!(value >= 0 && value < 1)) {
      throw new VbLoraException(key + " " + value + " must be in [0, 1)");
    }
  }

  static void requireOneOf(String key, String value, Set<String> allowed) {
    if (!allowed.contains(value)) {
      throw new VbLoraException(key + " \"" + value + "\" must be one of " + allowed);
    }
  }

  /** Builds a config; starts from PEFT's defaults. */
  public static final class Builder extends PeftConfigBuilder<Builder, PeftVbLoraConfig> {
    private int numVectors = 256;
    private int vectorLength = 256;
    private int topk = 2;
    private boolean saveOnlyTopkWeights;
    private double initVectorBankBound = 0.02;
    private double initLogitsStd = 0.1;
    private double vbloraDropout;

    Builder() {
      super(4, freshAdapterKeys());
    }

    Builder(PeftVbLoraConfig c) {
      super(c);
      numVectors = c.numVectors;
      vectorLength = c.vectorLength;
      topk = c.topk;
      saveOnlyTopkWeights = c.saveOnlyTopkWeights;
      initVectorBankBound = c.initVectorBankBound;
      initLogitsStd = c.initLogitsStd;
      vbloraDropout = c.vbloraDropout;
    }

    @Override
    Builder self() {
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

    @Override
    public PeftVbLoraConfig build() {
      return new PeftVbLoraConfig(r, numVectors, vectorLength, topk, saveOnlyTopkWeights, initVectorBankBound,
          initLogitsStd, vbloraDropout, bias, common(), otherKeys);
    }
  }
}
