package dev.finetune.vblora.training;

import static dev.finetune.vblora.data.error.InvalidSettingException.require;

import java.nio.file.Path;

/**
 * The settings of a deploy-time merge (base model + adapter -> merged SavedModel); the names and defaults are
 * those of {@code vblora merge}.
 *
 * @param model the base model: a SavedModel folder or a built-in name
 * @param tag the meta graph's tag set, comma-separated
 * @param signature the signature whose kernels the adapter adapts
 * @param adapter the adapter folder
 * @param out the merged SavedModel folder to write
 * @param overwrite replace {@code out} if it holds a merged model vblora wrote
 */
public record MergeConfig(String model, String tag, String signature, Path adapter, Path out, boolean overwrite) {
  public MergeConfig {
    require(model != null && !model.isBlank(), "model is required: the base SavedModel folder or a"
        + " built-in name", "model");
    require(adapter != null, "adapter is required: the adapter folder to merge", "adapter");
    require(out != null, "out is required: the folder to write the merged SavedModel into", "out");
    require(tag != null && !tag.isBlank(), "tag must name the meta graph's tags, e.g. serve", "tag");
    require(signature != null && !signature.isBlank(), "signature must name a signature, e.g."
        + " serving_default", "signature");
  }

  /** A builder with the defaults of {@code vblora merge}; model, adapter and out must be set. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Builder: every setting with its command-line default. Each setter sets the component of its name (documented
   * on {@link MergeConfig}) and returns this builder.
   */
  public static final class Builder {
    private String model;
    private String tag = TrainingDefaults.TAG;
    private String signature = TrainingDefaults.SIGNATURE;
    private Path adapter;
    private Path out;
    private boolean overwrite;

    private Builder() {}

    public Builder model(String v) { model = v; return this; }
    public Builder tag(String v) { tag = v; return this; }
    public Builder signature(String v) { signature = v; return this; }
    public Builder adapter(Path v) { adapter = v; return this; }
    public Builder out(Path v) { out = v; return this; }
    public Builder overwrite(boolean v) { overwrite = v; return this; }

    public MergeConfig build() {
      return new MergeConfig(model, tag, signature, adapter, out, overwrite);
    }
  }
}
