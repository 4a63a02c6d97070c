package dev.finetune.vblora.training;

import static dev.finetune.vblora.data.error.InvalidSettingException.require;

import dev.finetune.vblora.training.device.Device;
import dev.finetune.vblora.training.device.DeviceOptions;
import java.nio.file.Path;

/**
 * The settings of scoring a merged model (from {@link VbLora#train} or {@link VbLora#merge}) on labelled text;
 * the names and defaults are those of {@code vblora eval}.
 *
 * @param model the merged model folder
 * @param tag the meta graph's tag set, comma-separated
 * @param signature the serving signature
 * @param data the labelled data file (.tsv, .csv, .jsonl), or null when the examples are given in memory
 * @param textColumn header name or 0-based index of the text
 * @param textPairColumn the second text of sentence-pair tasks, or null
 * @param labelColumn header name or 0-based index of the label
 * @param noHeader the data file has no header row (columns by index)
 * @param maxLength tokens per example after truncation
 * @param batchSize examples per batch
 * @param lengthBuckets the sequence lengths batches are padded to (see {@link BatchShapes})
 * @param device device, XLA, precision and threads of the session
 */
public record EvaluationConfig(Path model, String tag, String signature, Path data, String textColumn,
    String textPairColumn, String labelColumn, boolean noHeader, int maxLength, int batchSize, String lengthBuckets,
    DeviceOptions device) {
  public EvaluationConfig {
    require(model != null, "model is required: the merged model folder", "model");
    require(textColumn != null && labelColumn != null, "textColumn and labelColumn are required", "textColumn",
        "labelColumn");
    require(maxLength >= 3, "maxLength must be at least 3 ([CLS] token [SEP]), got " + maxLength, "maxLength");
    require(batchSize >= 1, "batchSize must be at least 1, got " + batchSize, "batchSize");
    require(device != null, "device is required", "device");
    BatchShapes.validate(lengthBuckets, maxLength);
  }


  /** A builder with the defaults of {@code vblora eval}: the model (and a data file, or examples) must be set. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builder: every setting with its command-line default ({@link TrainingDefaults}, shared with training). */
  public static final class Builder {
    private Path model;
    private String tag = TrainingDefaults.TAG;
    private String signature = TrainingDefaults.SIGNATURE;
    private Path data;
    private String textColumn = TrainingDefaults.TEXT_COLUMN;
    private String textPairColumn;
    private String labelColumn = TrainingDefaults.LABEL_COLUMN;
    private boolean noHeader;
    private int maxLength = TrainingDefaults.MAX_LENGTH;
    private int batchSize = TrainingDefaults.BATCH_SIZE;
    private String lengthBuckets = TrainingDefaults.LENGTH_BUCKETS;
    private DeviceOptions device = DeviceOptions.defaults(Device.parse(TrainingDefaults.DEVICE));

    private Builder() {}

    public Builder model(Path v) { model = v; return this; }
    public Builder tag(String v) { tag = v; return this; }
    public Builder signature(String v) { signature = v; return this; }
    public Builder data(Path v) { data = v; return this; }
    public Builder textColumn(String v) { textColumn = v; return this; }
    public Builder textPairColumn(String v) { textPairColumn = v; return this; }
    public Builder labelColumn(String v) { labelColumn = v; return this; }
    public Builder noHeader(boolean v) { noHeader = v; return this; }
    public Builder maxLength(int v) { maxLength = v; return this; }
    public Builder batchSize(int v) { batchSize = v; return this; }
    public Builder lengthBuckets(String v) { lengthBuckets = v; return this; }
    /** Device, XLA, precision and threads (default: the CPU, as for training). */
    public Builder device(DeviceOptions v) { device = v; return this; }

    public EvaluationConfig build() {
      return new EvaluationConfig(model, tag, signature, data, textColumn, textPairColumn, labelColumn, noHeader,
          maxLength, batchSize, lengthBuckets, device);
    }
  }
}
