package dev.finetune.vblora.savedmodel.adapter;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * PEFT's {@code LoraConfig} as stored in adapter_config.json ({@code "peft_type": "LORA"}), for the LoRA
 * baseline. Field names follow PEFT's keys; defaults are PEFT's.
 *
 * @param r rank (PEFT default 8)
 * @param loraAlpha alpha; the update is scaled by alpha / r, or alpha / sqrt(r) with rsLoRA (default 8)
 * @param loraDropout dropout on the adapter's input (default 0.0)
 * @param bias "none", "all" or "lora_only"
 * @param useRslora scale by alpha / sqrt(r) instead of alpha / r
 * @param common the fields PEFT's VB-LoRA config shares: target modules, layers, task type, base model, tool
 *     metadata
 * @param otherKeys keys kept verbatim (PEFT fields not interpreted here, such as use_dora or rank_pattern,
 *     and unknown keys)
 */
public record PeftLoraConfig(int r, double loraAlpha, double loraDropout, String bias, boolean useRslora,
    PeftCommonFields common, Map<String, Object> otherKeys) implements AdapterConfig {

  public static final String PEFT_TYPE = "LORA";

  static final String LORA_ALPHA = "lora_alpha";
  static final String LORA_DROPOUT = "lora_dropout";
  static final String USE_RSLORA = "use_rslora";

  private static final Set<String> OWN_KEYS = Set.of(LORA_ALPHA, LORA_DROPOUT, USE_RSLORA);
  private static final Set<String> BIAS_VALUES = Set.of("none", "all", "lora_only");

  public PeftLoraConfig {
    PeftVbLoraConfig.requirePositive(PeftCommonFields.R, r);
    if (!Double.isFinite(loraAlpha)) {
      throw new VbLoraException("lora_alpha " + loraAlpha + " must be a finite number");
    }
    PeftVbLoraConfig.requireDropout(LORA_DROPOUT, loraDropout);
    PeftVbLoraConfig.requireOneOf(PeftCommonFields.BIAS, bias, BIAS_VALUES);
    Objects.requireNonNull(common, "common fields (PeftCommonFields.DEFAULTS for none)");
    otherKeys = PeftCommonFields.checkedOtherKeys(otherKeys, OWN_KEYS);
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
  public PeftLoraConfig withToolMetadata(ToolMetadata metadata) {
    return toBuilder().toolMetadata(metadata).build();
  }

  @Override
  public Map<String, Object> toJsonMap() {
    Map<String, Object> json = new LinkedHashMap<>(otherKeys);
    json.put(AdapterConfig.PEFT_TYPE_KEY, PEFT_TYPE);
    json.put(PeftCommonFields.R, (long) r);
    // PEFT declares lora_alpha an int; write whole numbers as such so PEFT's own files round-trip.
    boolean whole = loraAlpha == Math.rint(loraAlpha) && Math.abs(loraAlpha) < 1e15;
    json.put(LORA_ALPHA, whole ? (Object) (long) loraAlpha : (Object) loraAlpha);
    json.put(LORA_DROPOUT, loraDropout);
    json.put(PeftCommonFields.BIAS, bias);
    json.put(USE_RSLORA, useRslora);
    common.putInto(json);
    return json;
  }

  static PeftLoraConfig fromJson(Map<String, Object> json, String source) throws AdapterFormatException {
    ConfigFields f = new ConfigFields(json, source);
    return new Builder()
        .r(f.integer(PeftCommonFields.R, 8))
        .loraAlpha(f.number(LORA_ALPHA, 8))
        .loraDropout(f.number(LORA_DROPOUT, 0.0))
        .useRslora(f.bool(USE_RSLORA, false))
        .buildFrom(f);
  }

  /** Builds a config; starts from PEFT's defaults. */
  public static final class Builder extends PeftConfigBuilder<Builder, PeftLoraConfig> {
    private double loraAlpha = 8;
    private double loraDropout;
    private boolean useRslora;

    Builder() {
      super(8, freshLoraKeys());
    }

    Builder(PeftLoraConfig c) {
      super(c);
      loraAlpha = c.loraAlpha;
      loraDropout = c.loraDropout;
      useRslora = c.useRslora;
    }

    @Override
    Builder self() {
      return this;
    }

    public Builder loraAlpha(double value) {
      loraAlpha = value;
      return this;
    }

    public Builder loraDropout(double value) {
      loraDropout = value;
      return this;
    }

    public Builder useRslora(boolean value) {
      useRslora = value;
      return this;
    }

    @Override
    public PeftLoraConfig build() {
      return new PeftLoraConfig(r, loraAlpha, loraDropout, bias, useRslora, common(), otherKeys);
    }
  }

  /** The verbatim keys PEFT writes for a fresh LoRA adapter: every config's, and LoRA's own. */
  private static Map<String, Object> freshLoraKeys() {
    Map<String, Object> keys = PeftConfigBuilder.freshAdapterKeys();
    keys.put("alpha_pattern", Map.of());
    keys.put("init_lora_weights", true);
    keys.put("rank_pattern", Map.of());
    keys.put("use_dora", false);
    return keys;
  }
}
