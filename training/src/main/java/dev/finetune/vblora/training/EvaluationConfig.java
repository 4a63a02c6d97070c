package dev.finetune.vblora.training;

import static dev.finetune.vblora.data.error.InvalidSettingException.require;

import dev.finetune.vblora.data.tokenizer.TokenizerOptions;
import dev.finetune.vblora.savedmodel.io.InputRole;
import dev.finetune.vblora.savedmodel.io.LossKind;
import dev.finetune.vblora.savedmodel.io.ModelIo;
import dev.finetune.vblora.savedmodel.io.Pooling;
import dev.finetune.vblora.training.device.Device;
import dev.finetune.vblora.training.device.DeviceOptions;
import dev.finetune.vblora.training.device.Precision;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The settings of scoring a model on labelled text: a merged model (from {@link VbLora#train} or {@link
 * VbLora#merge}), or a base model and an adapter merged for the scoring. The names and defaults are those of
 * {@code vblora eval} and of {@link TrainConfig}'s settings of the same name; what only the command line does
 * (feature-input models from JSONL, prediction tables) is {@code vblora eval}'s.
 *
 * @param model the model folder (a merged model, or the base model of {@code adapter}), or a built-in model's name
 *     as a path, e.g. {@code Path.of("bert-base-uncased")}, as train and merge take it
 * @param adapter an adapter folder to merge into {@code model} before scoring (into a temporary folder), or null
 * @param tag the meta graph's tag set, comma-separated
 * @param signature the serving signature
 * @param vocab the WordPiece vocabulary, or null for the model's own
 * @param lowerCase whether the tokenizer lower-cases, or null for what the model's files say
 * @param input per input role (ids, mask, types), the signature input that takes it; empty: detected
 * @param output the signature output to score, or null: the head vblora added, else the model's only output
 * @param loss the loss of the model's own output, which decides its task, or null: detected from its op
 * @param data the labelled data file (.tsv, .csv, .jsonl), or null when the examples are given in memory
 * @param textColumn header name or 0-based index of the text
 * @param textPairColumn the second text of sentence-pair tasks, or null
 * @param labelColumn header name or 0-based index of the label
 * @param noHeader the data file has no header row (columns by index)
 * @param maxLength tokens per example after truncation
 * @param batchSize examples per batch
 * @param lengthBuckets the sequence lengths batches are padded to (see {@link BatchShapes})
 * @param deviceOptions device, XLA, precision and threads of the session
 */
public record EvaluationConfig(Path model, Path adapter, String tag, String signature, Path vocab,
    Boolean lowerCase, Map<String, String> input, String output, LossKind loss, Path data, String textColumn,
    String textPairColumn, String labelColumn, boolean noHeader, int maxLength, int batchSize, String lengthBuckets,
    DeviceOptions deviceOptions) {
  public EvaluationConfig {
    require(model != null, "model is required: the model folder", "model");
    require(textColumn != null && labelColumn != null, "textColumn and labelColumn are required", "textColumn",
        "labelColumn");
    requireSizes(maxLength, batchSize);
    require(deviceOptions != null, "deviceOptions is required", "deviceOptions");
    input = Map.copyOf(input);
    BatchShapes.validate(lengthBuckets, maxLength);
  }

  /**
   * An evaluation's example length and batch size: room for [CLS] token [SEP], and at least one example. Public so
   * that {@code vblora eval}, which scores without this record, refuses them in the same words before reading a model.
   */
  public static void requireSizes(int maxLength, int batchSize) {
    require(maxLength >= 3, "maxLength must be at least 3 ([CLS] token [SEP]), got " + maxLength, "maxLength");
    require(batchSize >= 1, "batchSize must be at least 1, got " + batchSize, "batchSize");
  }

  /** The tokenizer's settings: {@link #vocab} and {@link #lowerCase}, the model's files for what is null. */
  public TokenizerOptions tokenizerOptions() {
    return new TokenizerOptions(vocab, lowerCase);
  }

  /** The model's inputs and the output to score, as {@link #input}, {@link #output} and {@link #loss} say. */
  ModelIo.Settings ioSettings() {
    return new ModelIo.Settings(InputRole.parseAll(input), null, Pooling.NONE, output, loss);
  }

  /** A builder with the defaults of {@code vblora eval}: the model (and a data file, or examples) must be set. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Builder: every setting with its command-line default ({@link TrainingDefaults}, shared with training). Each
   * setter sets the component of its name (documented on {@link EvaluationConfig}) and returns this builder.
   */
  public static final class Builder {
    private Path model;
    private Path adapter;
    private String tag = TrainingDefaults.TAG;
    private String signature = TrainingDefaults.SIGNATURE;
    private Path vocab;
    private Boolean lowerCase;
    private final Map<String, String> input = new LinkedHashMap<>();
    private String output;
    private LossKind loss;
    private Path data;
    private String textColumn = TrainingDefaults.TEXT_COLUMN;
    private String textPairColumn;
    private String labelColumn = TrainingDefaults.LABEL_COLUMN;
    private boolean noHeader;
    private int maxLength = TrainingDefaults.MAX_LENGTH;
    private int batchSize = TrainingDefaults.BATCH_SIZE;
    private String lengthBuckets = TrainingDefaults.LENGTH_BUCKETS;
    private Device device = Device.parse(TrainingDefaults.DEVICE);
    private Boolean xla;
    private Precision precision;
    private DeviceOptions deviceOptions;

    private Builder() {}

    public Builder model(Path v) { model = v; return this; }
    /** A SavedModel folder or a built-in name ({@code bert-base-uncased}), as TrainConfig and MergeConfig take it. */
    public Builder model(String v) { model = v == null ? null : Path.of(v); return this; }
    /** An adapter to merge into {@link #model} for the scoring (a temporary merged model, deleted after). */
    public Builder adapter(Path v) { adapter = v; return this; }
    public Builder tag(String v) { tag = v; return this; }
    public Builder signature(String v) { signature = v; return this; }
    /** null: the model's own vocabulary. */
    public Builder vocab(Path v) { vocab = v; return this; }
    /** null: as the model's files say. */
    public Builder lowerCase(Boolean v) { lowerCase = v; return this; }
    /** Maps an input role (ids, mask, types) to a signature input name, as train's setting of the same name. */
    public Builder input(String role, String key) { input.put(InputRole.parse(role).label(), key); return this; }
    public Builder output(String v) { output = v; return this; }
    /** null: detected from the op that computes the output. */
    public Builder loss(LossKind v) { loss = v; return this; }
    public Builder data(Path v) { data = v; return this; }
    public Builder textColumn(String v) { textColumn = v; return this; }
    public Builder textPairColumn(String v) { textPairColumn = v; return this; }
    public Builder labelColumn(String v) { labelColumn = v; return this; }
    public Builder noHeader(boolean v) { noHeader = v; return this; }
    public Builder maxLength(int v) { maxLength = v; return this; }
    public Builder batchSize(int v) { batchSize = v; return this; }
    public Builder lengthBuckets(String v) { lengthBuckets = v; return this; }
    /** The device by name (cpu, gpu), with that device's defaults of XLA, precision and threads unless set. */
    public Builder device(String v) { device = Device.parse(v); deviceOptions = null; return this; }
    /** Whether XLA compiles the model (default: on a GPU), as TrainConfig's setting of the same name. */
    public Builder xla(boolean v) { xla = v; return this; }
    /** The products' precision (default fp32), as TrainConfig's setting of the same name. */
    public Builder precision(Precision v) { precision = v; return this; }
    /**
     * Device, XLA, precision and threads at once (default: the CPU, as for training); {@link #xla} and {@link
     * #precision}, when set, still apply on top.
     */
    public Builder deviceOptions(DeviceOptions v) { deviceOptions = v; return this; }

    public EvaluationConfig build() {
      DeviceOptions options = deviceOptions != null ? deviceOptions : DeviceOptions.defaults(device);
      if (xla != null) {
        options = options.withXla(xla);
      }
      if (precision != null) {
        options = options.withPrecision(precision);
      }
      return new EvaluationConfig(model, adapter, tag, signature, vocab, lowerCase, input, output, loss, data,
          textColumn, textPairColumn, labelColumn, noHeader, maxLength, batchSize, lengthBuckets, options);
    }
  }
}
