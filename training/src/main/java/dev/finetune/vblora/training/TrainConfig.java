package dev.finetune.vblora.training;

import static dev.finetune.vblora.data.error.InvalidSettingException.require;

import dev.finetune.vblora.data.ColumnMapping;
import dev.finetune.vblora.data.Task;
import dev.finetune.vblora.data.error.InvalidSettingException;
import dev.finetune.vblora.data.error.Suggestions;
import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.data.tokenizer.TokenizerOptions;
import dev.finetune.vblora.model.LoraConfig;
import dev.finetune.vblora.model.UpdateForm;
import dev.finetune.vblora.model.VbLoraConfig;
import dev.finetune.vblora.training.method.AdapterMethod;
import dev.finetune.vblora.training.method.AdapterSettings;
import dev.finetune.vblora.savedmodel.SavedModelInfo;
import dev.finetune.vblora.savedmodel.SavedModelReader;
import dev.finetune.vblora.savedmodel.VbloraVersion;
import dev.finetune.vblora.training.device.Device;
import dev.finetune.vblora.training.device.DeviceOptions;
import dev.finetune.vblora.training.device.Precision;
import dev.finetune.vblora.training.optim.GroupHyperparameters;
import dev.finetune.vblora.training.optim.VbLoraGroupSettings;
import dev.finetune.vblora.savedmodel.io.InputRole;
import dev.finetune.vblora.savedmodel.io.LossKind;
import dev.finetune.vblora.savedmodel.io.ModelIo;
import dev.finetune.vblora.savedmodel.io.Pooling;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Every setting of a training run. One name per setting: the Java component {@code lrBank} is the JSON key
 * {@code lr_bank} (in checkpoints and metrics) and the CLI option {@code --lr-bank}; see {@link #toJson()}.
 * Validation happens here, once, and names the setting by its API name ({@link InvalidSettingException#settings()}).
 *
 * @param model a SavedModel folder or a built-in name (bert-base-uncased, bert-base-cased, ...)
 * @param tag the meta graph's tag set, comma-separated (serve)
 * @param signature the signature whose serving path is adapted
 * @param vocab a WordPiece vocab.txt to tokenize with instead of the model's own, or null for the model's
 * @param lowerCase lower-case the text (uncased models), or null for what the model's metadata says
 * @param train the training data file, or null when the examples are given in memory ({@link
 *     Trainer#withExamples})
 * @param valid a validation file, or null to hold out {@code validFraction} of the training data
 * @param validFraction share of the training data held out when there is no validation file, in (0, 1)
 * @param textColumn header name or 0-based index of the text
 * @param textPairColumn the second text of sentence-pair tasks, or null
 * @param labelColumn header name or 0-based index of the label
 * @param noHeader the data files have no header row (columns by index)
 * @param task classification or regression (of a new head; the model's own output's loss decides its task)
 * @param input role (ids, mask, types) to signature input key, overriding the detected mapping
 * @param features a new head on this signature output or serving-path tensor (node:index), or null to detect
 * @param pooling how a head on a sequence output pools it: none, cls or mean
 * @param output train the model's own signature output of this key, or null to detect
 * @param loss the loss of the own output (cross-entropy, binary-cross-entropy, mse), or null to detect it
 * @param targets kernels to adapt (preset, names/suffixes or regex)
 * @param exclude kernels to leave out, or null
 * @param layers layer indices to adapt (e.g. 0-5,11), or null for all
 * @param method the adapter method (VB-LoRA, or the LoRA baseline)
 * @param vbLora the VB-LoRA hyperparameters (used when method is vblora); rank and seed are shared with lora
 * @param lora the LoRA baseline's hyperparameters (used when method is lora); rank and seed as in vbLora
 * @param epochs passes over the training data (ignored when maxSteps > 0)
 * @param maxSteps optimizer steps in all; 0 means epochs x batches per epoch
 * @param batchSize examples per step
 * @param maxLength tokens per example after truncation (at most what the model's inputs take)
 * @param lengthBuckets the sequence lengths batches are padded to: {@code auto}, {@code longest},
 *     {@code doubling} or a list such as {@code 32,64} (see {@link BatchShapes})
 * @param lrBank peak learning rate of the vector bank
 * @param lrLogits peak learning rate of the logits
 * @param lrLora peak learning rate of the LoRA factors (baseline)
 * @param lrHead peak learning rate of the task head
 * @param weightDecay decoupled weight decay of the head and the LoRA factors (never of bank or logits)
 * @param warmupRatio share of the steps with linear warmup, then linear decay to 0
 * @param maxGradNorm clip the global gradient norm to this (0: off)
 * @param seed seed of the adapter and head init, the data order and the validation split
 * @param evalEvery evaluate (and checkpoint) every this many steps; 0 means once per epoch
 * @param logEvery write a log.jsonl line every this many steps
 * @param device cpu or gpu
 * @param xla XLA JIT compilation on or off (null: on for gpu, off for cpu)
 * @param precision fp32; fp16 (gpu, TensorFlow's mixed-precision rewrite); bf16 (cpu: TensorFlow's oneDNN rewrite;
 *     gpu: the training graph's products in bfloat16, see {@link Precision})
 * @param logPlacement TensorFlow logs every op's device on stderr
 * @param intraOpThreads threads inside one op; 0 lets TensorFlow choose
 * @param interOpThreads ops run side by side; 0 lets TensorFlow choose
 * @param fusedAttention gpu bf16 with XLA: each layer's attention as cuDNN's fused kernels (see {@link
 *     DeviceOptions#fusedAttention})
 * @param updateForm how adapted MatMuls apply the update (null: auto, see {@link #resolvedUpdateForm()})
 * @param out the output folder
 * @param resume continue from the newest checkpoint in {@code out}
 * @param overwrite replace a previous run's output folder
 */
public record TrainConfig(
    String model, String tag, String signature, Path vocab, Boolean lowerCase, Path train, Path valid,
    double validFraction,
    String textColumn, String textPairColumn, String labelColumn, boolean noHeader, Task task,
    Map<String, String> input, String features, Pooling pooling, String output, LossKind loss,
    String targets, String exclude, String layers,
    AdapterMethod method, VbLoraConfig vbLora, LoraConfig lora,
    int epochs, long maxSteps, int batchSize, int maxLength, String lengthBuckets,
    double lrBank, double lrLogits, double lrLora, double lrHead, double weightDecay, double warmupRatio,
    double maxGradNorm, long seed, long evalEvery, long logEvery, String device, Boolean xla,
    Precision precision, boolean logPlacement, int intraOpThreads, int interOpThreads, boolean fusedAttention,
    UpdateForm updateForm, Path out, boolean resume, boolean overwrite) {

  public TrainConfig {
    require(model != null && !model.isBlank(), "model is required: a SavedModel folder or a built-in name",
        "model");
    require(out != null, "out is required: the folder the run writes into", "out");
    require(valid != null || (validFraction > 0 && validFraction < 1),
        "validFraction must be between 0 and 1 (exclusive), got " + validFraction, "validFraction", "valid");
    require(textColumn != null && labelColumn != null, "textColumn and labelColumn are required",
        "textColumn", "labelColumn");
    require(task != null, "task must be classification or regression", "task");
    require(tag != null && !tag.isBlank(), "tag must name the meta graph's tags, e.g. serve", "tag");
    require(signature != null && !signature.isBlank(), "signature must name one of the model's signatures, e.g. "
        + TrainingDefaults.SIGNATURE, "signature");
    require(targets != null && !targets.isBlank(), "targets must name the kernels to adapt: a preset (e.g. "
        + TrainingDefaults.TARGETS + ", all-linear), names or a regex", "targets");
    input = input == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(input));
    input.keySet().forEach(InputRole::parse);
    require(pooling != null, "pooling must be none, cls or mean", "pooling");
    require(features == null || output == null, "features (a new head) and output (the model's own prediction)"
        + " exclude each other; choose one", "features", "output");
    require(features == null || loss == null, "loss is for training the model's own prediction (output), not"
        + " for a new head on features", "loss", "features", "output");
    require(method != null, "method is required, e.g. " + TrainingDefaults.METHOD.name(), "method");
    require(epochs >= 1, "epochs must be at least 1, got " + epochs, "epochs");
    require(maxSteps >= 0, "maxSteps must not be negative, got " + maxSteps, "maxSteps");
    EvaluationConfig.requireSizes(maxLength, batchSize); // the run evaluates with them too
    BatchShapes.validate(lengthBuckets, maxLength);
    for (Map.Entry<String, Double> lr : Map.of("lrBank", lrBank, "lrLogits", lrLogits, "lrLora", lrLora,
        "lrHead", lrHead).entrySet()) {
      require(lr.getValue() > 0 && Double.isFinite(lr.getValue()),
          lr.getKey() + " must be a finite number > 0, got " + lr.getValue(), lr.getKey());
    }
    require(weightDecay >= 0 && Double.isFinite(weightDecay), "weightDecay must be >= 0, got " + weightDecay,
        "weightDecay");
    require(warmupRatio >= 0 && warmupRatio < 1, "warmupRatio must be in [0, 1), got " + warmupRatio,
        "warmupRatio");
    require(maxGradNorm >= 0 && Double.isFinite(maxGradNorm), "maxGradNorm must be >= 0 (0: off), got "
        + maxGradNorm, "maxGradNorm");
    require(evalEvery >= 0, "evalEvery must not be negative (0: once per epoch), got " + evalEvery, "evalEvery");
    require(logEvery >= 1, "logEvery must be at least 1, got " + logEvery, "logEvery");
    require(device != null && (device.equals("cpu") || device.equals("gpu")),
        "device must be cpu or gpu, got " + device, "device");
    require(precision != null, "precision must be fp32, fp16 (gpu) or bf16", "precision");
    // Validates precision and fused attention against the device, and the thread counts (the fields are not
    // assigned yet here).
    new DeviceOptions(Device.parse(device), xla != null ? xla : device.equals("gpu"), precision, logPlacement,
        intraOpThreads, interOpThreads, fusedAttention);
    require(!(resume && overwrite), "resume continues the run in out and overwrite replaces it; choose one",
        "resume", "overwrite");
    // The adapter configs validated their own ranges; here only that they agree, because the
    // JSON (and the command line) has one rank and one seed.
    require(vbLora != null && lora != null, "both the VB-LoRA and the LoRA settings are required", "vbLora",
        "lora");
    require(vbLora.rank() == lora.rank(), "the VB-LoRA r " + vbLora.rank() + " and the LoRA r "
        + lora.rank() + " differ; set both through rank", "rank");
    require(vbLora.seed() == seed && lora.seed() == seed, "the adapter seeds (VB-LoRA " + vbLora.seed()
        + ", LoRA " + lora.seed() + ") differ from seed " + seed + "; set them through seed", "seed");
  }

  /** The tokenizer settings the user gave (the rest comes from the model). */
  public TokenizerOptions tokenizerOptions() {
    return new TokenizerOptions(vocab, lowerCase);
  }

  /** Learning rate and weight decay of bank, logits and head. */
  public VbLoraGroupSettings groups() {
    return new VbLoraGroupSettings(new GroupHyperparameters(lrBank, 0.0), new GroupHyperparameters(lrLogits, 0.0),
        new GroupHyperparameters(lrHead, weightDecay));
  }

  /** Learning rate and weight decay of the LoRA factors. */
  public GroupHyperparameters loraFactors() {
    return new GroupHyperparameters(lrLora, weightDecay);
  }

  /** The hyperparameters of every adapter method; {@link #method()} reads its own. */
  public AdapterSettings adapterSettings() {
    return new AdapterSettings(vbLora, lora);
  }

  /** The peak learning rate the progress reports (the method's main group). */
  public double reportedLearningRate() {
    return method.reportedLearningRate(groups(), loraFactors());
  }

  /** What the run asks of the model's I/O (the rest is detected, see {@link ModelIo#resolve}). */
  public ModelIo.Settings ioSettings() {
    return new ModelIo.Settings(InputRole.parseAll(input), features, pooling, output, loss);
  }

  /** The tag set of the meta graph to load. */
  public Set<String> tags() {
    return Set.of(tag.split(","));
  }

  /** Whether XLA is on: as given, else on for the GPU only. */
  public boolean xlaEnabled() {
    return xla != null ? xla : device.equals("gpu");
  }

  /**
   * How the run's sessions are set up: the one source of device, XLA, precision and threads. The trainer opens
   * its session with {@code deviceOptions().toConfigProto()}, so what config.json records is what runs.
   */
  public DeviceOptions deviceOptions() {
    return new DeviceOptions(Device.parse(device), xlaEnabled(), precision, logPlacement, intraOpThreads,
        interOpThreads, fusedAttention);
  }

  /**
   * The update form of the adapted MatMuls: as given, else {@link UpdateForm#automatic}: on the GPU without adapter
   * dropout {@link UpdateForm#MERGED_FACTORED} in fp32 and {@link UpdateForm#MERGED} with reduced precision (there
   * the thin low-rank matmuls wait on memory; see docs/benchmarks.md), and {@link UpdateForm#LOW_RANK} otherwise
   * (on the CPU the rank-r path is the cheaper arithmetic).
   */
  public UpdateForm resolvedUpdateForm() {
    if (updateForm != null) {
      return updateForm;
    }
    return UpdateForm.automatic(device.equals("gpu"), precision == Precision.FP32, method.dropout(adapterSettings()));
  }

  /**
   * The settings as JSON keys (snake case of the component names), as saved with every checkpoint and in
   * DIR/config.json. Paths are strings, absent values null.
   */
  public Map<String, Object> toJson() {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("model", model);
    json.put("tag", tag);
    json.put("signature", signature);
    json.put("vocab", vocab == null ? null : vocab.toString());
    json.put("lower_case", lowerCase);
    json.put("train", train == null ? null : train.toString());
    json.put("valid", valid == null ? null : valid.toString());
    json.put("valid_fraction", validFraction);
    json.put("text_column", textColumn);
    json.put("text_pair_column", textPairColumn);
    json.put("label_column", labelColumn);
    json.put("no_header", noHeader);
    json.put("task", task.cliName());
    json.put("input", new LinkedHashMap<>(input));
    json.put("features", features);
    json.put("pooling", pooling.label());
    json.put("output", output);
    json.put("loss", loss == null ? null : loss.label());
    json.put("targets", targets);
    json.put("exclude", exclude);
    json.put("layers", layers);
    json.put("method", method.name());
    json.put("rank", vbLora.rank());
    json.put("num_vectors", vbLora.numVectors());
    json.put("vector_length", vbLora.vectorLength());
    json.put("topk", vbLora.topk());
    json.put("save_only_topk_weights", vbLora.saveOnlyTopkWeights());
    json.put("init_vector_bank_bound", vbLora.initVectorBankBound());
    json.put("init_logits_std", vbLora.initLogitsStd());
    json.put("vblora_dropout", vbLora.dropout());
    json.put("lora_alpha", lora.alpha());
    json.put("lora_dropout", lora.dropout());
    json.put("epochs", epochs);
    json.put("max_steps", maxSteps);
    json.put("batch_size", batchSize);
    json.put("max_length", maxLength);
    json.put("length_buckets", lengthBuckets);
    json.put("lr_bank", lrBank);
    json.put("lr_logits", lrLogits);
    json.put("lr_lora", lrLora);
    json.put("lr_head", lrHead);
    json.put("weight_decay", weightDecay);
    json.put("warmup_ratio", warmupRatio);
    json.put("max_grad_norm", maxGradNorm);
    json.put("seed", seed);
    json.put("eval_every", evalEvery);
    json.put("log_every", logEvery);
    json.put("device", device);
    json.put("xla", xla);
    json.put("precision", precision.label());
    json.put("log_placement", logPlacement);
    json.put("intra_op_threads", intraOpThreads);
    json.put("inter_op_threads", interOpThreads);
    json.put("fused_attention", fusedAttention);
    json.put("update_form", updateForm == null ? null : updateForm.label());
    json.put("out", out.toString());
    json.put("resume", resume);
    json.put("overwrite", overwrite);
    return json;
  }

  /**
   * The settings that decide what a run computes: everything but where it runs and how it was started
   * (out, resume, overwrite, device, xla, precision, log_placement, the thread counts, fused_attention,
   * update_form, log_every, length_buckets: padding changes no result beyond rounding). A resume must match these
   * exactly.
   */
  public Map<String, Object> identity() {
    Map<String, Object> json = toJson();
    for (String key : new String[] {"out", "resume", "overwrite", "device", "xla", "precision", "log_placement",
        "intra_op_threads", "inter_op_threads", "fused_attention", "update_form", "log_every", "length_buckets"}) {
      json.remove(key);
    }
    return Json.parseObject(Json.toCompactJson(json));
  }

  /**
   * Reads what {@link #toJson()} wrote (e.g. from a checkpoint); a missing key keeps its default.
   *
   * @throws InvalidSettingException for a key that is no setting (a slip such as lr_bnk would otherwise leave its
   *     setting at the default without a word), as {@code vblora train --config} refuses it
   */
  public static TrainConfig fromJson(Map<String, Object> json) {
    Set<String> known = new LinkedHashSet<>(builder().model("m").out(Path.of("o")).build().toJson().keySet());
    known.add(VbloraVersion.JSON_KEY);
    for (String key : json.keySet()) {
      if (!known.contains(key)) {
        List<String> near = Suggestions.of(key, known);
        throw new InvalidSettingException(List.of(), "the settings JSON has the key '" + key + "', which is no"
            + " setting" + (near.isEmpty() ? "" : " (did you mean '" + near.get(0) + "'?)") + "; its keys are"
            + " those of toJson() (a run's config.json)");
      }
    }
    return builderFrom(json).build();
  }

  /**
   * Reads a run's config.json (what {@link #toJson()} wrote), e.g. to train again with a setting changed:
   * {@code TrainConfig.fromJson(run.resolve("config.json")).toBuilder().out(next).build()}. Its paths read as
   * they were given to the run, as {@code vblora train --config} reads them.
   *
   * @throws InvalidSettingException when the file does not exist, is not a JSON object, or has a key that is no
   *     setting
   * @throws IOException when the file cannot be read for another reason
   */
  public static TrainConfig fromJson(Path file) throws IOException {
    Map<String, Object> json;
    try {
      json = Json.parseObject(Files.readString(Objects.requireNonNull(file, "file is null; give a config.json")));
    } catch (NoSuchFileException e) {
      throw new InvalidSettingException(List.of(), "settings file " + file + " does not exist; give the config.json"
          + " of a run that vblora train wrote");
    } catch (IllegalArgumentException | CharacterCodingException e) {
      throw new InvalidSettingException(List.of(), "settings file " + file + " is not a JSON object of settings ("
          + e.getMessage() + "); give the config.json of a run that vblora train wrote");
    }
    return fromJson(json);
  }

  /** A builder holding these settings, e.g. to change one of them. */
  public Builder toBuilder() {
    return builderFrom(toJson());
  }

  private static Builder builderFrom(Map<String, Object> json) {
    JsonSettings j = new JsonSettings(json);
    Builder b = builder();
    j.string("model", b::model);
    j.string("tag", b::tag);
    j.string("signature", b::signature);
    j.string("vocab", v -> b.vocab(Path.of(v)));
    j.bool("lower_case", b::lowerCase);
    j.string("train", v -> b.train(Path.of(v)));
    j.string("valid", v -> b.valid(Path.of(v)));
    j.number("valid_fraction", b::validFraction);
    j.string("text_column", b::textColumn);
    j.string("text_pair_column", b::textPairColumn);
    j.string("label_column", b::labelColumn);
    j.bool("no_header", b::noHeader);
    j.string("task", v -> b.task(Task.parse(v)));
    if (json.get("input") != null) {
      Json.getObject(json, "input").forEach((role, key) -> b.input(role, String.valueOf(key)));
    }
    j.string("features", b::features);
    j.string("pooling", v -> b.pooling(Pooling.parse(v)));
    j.string("output", b::output);
    j.string("loss", v -> b.loss(LossKind.parse(v)));
    j.string("targets", b::targets);
    j.string("exclude", b::exclude);
    j.string("layers", b::layers);
    j.string("method", b::method);
    j.number("rank", v -> b.rank((int) v));
    j.number("num_vectors", v -> b.numVectors((int) v));
    j.number("vector_length", v -> b.vectorLength((int) v));
    j.number("topk", v -> b.topk((int) v));
    j.bool("save_only_topk_weights", b::saveOnlyTopkWeights);
    j.number("init_vector_bank_bound", b::initVectorBankBound);
    j.number("init_logits_std", b::initLogitsStd);
    j.number("vblora_dropout", b::vbloraDropout);
    j.number("lora_alpha", b::loraAlpha);
    j.number("lora_dropout", b::loraDropout);
    j.number("epochs", v -> b.epochs((int) v));
    j.number("max_steps", v -> b.maxSteps((long) v));
    j.number("batch_size", v -> b.batchSize((int) v));
    j.number("max_length", v -> b.maxLength((int) v));
    j.string("length_buckets", b::lengthBuckets);
    j.number("lr_bank", b::lrBank);
    j.number("lr_logits", b::lrLogits);
    j.number("lr_lora", b::lrLora);
    j.number("lr_head", b::lrHead);
    j.number("weight_decay", b::weightDecay);
    j.number("warmup_ratio", b::warmupRatio);
    j.number("max_grad_norm", b::maxGradNorm);
    j.number("seed", v -> b.seed((long) v));
    j.number("eval_every", v -> b.evalEvery((long) v));
    j.number("log_every", v -> b.logEvery((long) v));
    j.string("device", b::device);
    j.bool("xla", b::xla);
    j.string("precision", v -> b.precision(Precision.parse(v)));
    j.bool("log_placement", b::logPlacement);
    j.number("intra_op_threads", v -> b.intraOpThreads((int) v));
    j.number("inter_op_threads", v -> b.interOpThreads((int) v));
    j.bool("fused_attention", b::fusedAttention);
    j.string("update_form", v -> b.updateForm(UpdateForm.parse(v)));
    j.string("out", v -> b.out(Path.of(v)));
    j.bool("resume", b::resume);
    j.bool("overwrite", b::overwrite);
    return b;
  }

  /** Typed reads of a JSON object that skip absent and null keys. */
  private record JsonSettings(Map<String, Object> json) {
    void string(String key, java.util.function.Consumer<String> to) {
      if (json.get(key) != null) {
        to.accept(Json.getString(json, key));
      }
    }

    void number(String key, java.util.function.DoubleConsumer to) {
      if (json.get(key) != null) {
        to.accept(Json.getDouble(json, key));
      }
    }

    void bool(String key, java.util.function.Consumer<Boolean> to) {
      if (json.get(key) != null) {
        to.accept(Json.getBoolean(json, key));
      }
    }
  }

  /** A builder with the defaults of {@code vblora train}; model, train (or in-memory examples) and out must be set. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Builder: every setting with its CLI default, from {@link TrainingDefaults}. Each setter sets the component of
   * its name (documented on {@link TrainConfig}) and returns this builder; {@link #build()} validates them all. The
   * adapter settings start from {@link VbLoraConfig#builder()} and {@link LoraConfig#defaults()}; {@code rank} and
   * {@code seed} set both methods (and seed the training).
   */
  public static final class Builder {
    private String model;
    private String tag = TrainingDefaults.TAG;
    private String signature = TrainingDefaults.SIGNATURE;
    private Path vocab;
    private Boolean lowerCase;
    private Path train;
    private Path valid;
    private double validFraction = TrainingDefaults.VALID_FRACTION;
    private String textColumn = TrainingDefaults.TEXT_COLUMN;
    private String textPairColumn;
    private String labelColumn = TrainingDefaults.LABEL_COLUMN;
    private boolean noHeader;
    private Task task = TrainingDefaults.TASK;
    private final Map<String, String> input = new TreeMap<>();
    private String features;
    private Pooling pooling = TrainingDefaults.POOLING;
    private String output;
    private LossKind loss;
    private String targets = TrainingDefaults.TARGETS;
    private String exclude;
    private String layers;
    private AdapterMethod method = TrainingDefaults.METHOD;
    private VbLoraConfig.Builder vbLora = VbLoraConfig.builder();
    private LoraConfig lora = LoraConfig.defaults();
    private int epochs = TrainingDefaults.EPOCHS;
    private long maxSteps;
    private int batchSize = TrainingDefaults.BATCH_SIZE;
    private int maxLength = TrainingDefaults.MAX_LENGTH;
    private String lengthBuckets = TrainingDefaults.LENGTH_BUCKETS;
    private double lrBank = TrainingDefaults.LR_BANK;
    private double lrLogits = TrainingDefaults.LR_LOGITS;
    private double lrLora = TrainingDefaults.LR_LORA;
    private double lrHead = TrainingDefaults.LR_HEAD;
    private double weightDecay = TrainingDefaults.WEIGHT_DECAY;
    private double warmupRatio = TrainingDefaults.WARMUP_RATIO;
    private double maxGradNorm = TrainingDefaults.MAX_GRAD_NORM;
    private long seed = lora.seed();
    private long evalEvery;
    private long logEvery = TrainingDefaults.LOG_EVERY;
    private String device = TrainingDefaults.DEVICE;
    private Boolean xla;
    private Precision precision = TrainingDefaults.PRECISION;
    private boolean logPlacement;
    private int intraOpThreads;
    private int interOpThreads;
    private boolean fusedAttention;
    private UpdateForm updateForm;
    private Path out;
    private boolean resume;
    private boolean overwrite;

    private Builder() {}

    public Builder model(String v) { model = v; return this; }
    public Builder tag(String v) { tag = v; return this; }
    public Builder signature(String v) { signature = v; return this; }
    /** null: the model's own vocabulary. */
    public Builder vocab(Path v) { vocab = v; return this; }
    /** null: as the model's metadata says. */
    public Builder lowerCase(Boolean v) { lowerCase = v; return this; }
    public Builder train(Path v) { train = v; return this; }
    public Builder valid(Path v) { valid = v; return this; }
    public Builder validFraction(double v) { validFraction = v; return this; }
    public Builder textColumn(String v) { textColumn = v; return this; }
    public Builder textPairColumn(String v) { textPairColumn = v; return this; }
    public Builder labelColumn(String v) { labelColumn = v; return this; }
    public Builder noHeader(boolean v) { noHeader = v; return this; }
    public Builder task(Task v) { task = v; return this; }
    /** Maps a role (ids, mask, types) to a signature input key. */
    public Builder input(String role, String key) { input.put(InputRole.parse(role).label(), key); return this; }
    public Builder features(String v) { features = v; return this; }
    public Builder pooling(Pooling v) { pooling = v; return this; }
    public Builder output(String v) { output = v; return this; }
    /** null: detected from the op that computes the output. */
    public Builder loss(LossKind v) { loss = v; return this; }
    public Builder targets(String v) { targets = v; return this; }
    public Builder exclude(String v) { exclude = v; return this; }
    public Builder layers(String v) { layers = v; return this; }
    /** The method by name (vblora, lora), as config.json and the command line spell it. */
    public Builder method(String v) { method = AdapterMethod.parse(v); return this; }
    public Builder method(AdapterMethod v) { method = v; return this; }
    /** All VB-LoRA settings, its rank and seed included (keep them equal to {@link #rank} and {@link #seed}). */
    public Builder vbLora(VbLoraConfig v) {
      vbLora = Objects.requireNonNull(v, "vbLora is null; give a VbLoraConfig (VbLoraConfig.builder().build() holds"
          + " PEFT's defaults)").toBuilder();
      return this;
    }
    /** All LoRA settings, its rank and seed included (keep them equal to {@link #rank} and {@link #seed}). */
    public Builder lora(LoraConfig v) {
      lora = Objects.requireNonNull(v, "lora is null; give a LoraConfig (LoraConfig.defaults() holds PEFT's)");
      return this;
    }
    public Builder rank(int v) { vbLora.rank(v); lora = lora.withRank(v); return this; }
    public Builder numVectors(int v) { vbLora.numVectors(v); return this; }
    public Builder vectorLength(int v) { vbLora.vectorLength(v); return this; }
    public Builder topk(int v) { vbLora.topk(v); return this; }
    public Builder saveOnlyTopkWeights(boolean v) { vbLora.saveOnlyTopkWeights(v); return this; }
    public Builder initVectorBankBound(double v) { vbLora.initVectorBankBound(v); return this; }
    public Builder initLogitsStd(double v) { vbLora.initLogitsStd(v); return this; }
    public Builder vbloraDropout(double v) { vbLora.dropout(v); return this; }
    public Builder loraAlpha(double v) { lora = lora.withAlpha(v); return this; }
    public Builder loraDropout(double v) { lora = lora.withDropout(v); return this; }
    public Builder epochs(int v) { epochs = v; return this; }
    public Builder maxSteps(long v) { maxSteps = v; return this; }
    public Builder batchSize(int v) { batchSize = v; return this; }
    public Builder maxLength(int v) { maxLength = v; return this; }
    public Builder lengthBuckets(String v) { lengthBuckets = v; return this; }
    public Builder lrBank(double v) { lrBank = v; return this; }
    public Builder lrLogits(double v) { lrLogits = v; return this; }
    public Builder lrLora(double v) { lrLora = v; return this; }
    public Builder lrHead(double v) { lrHead = v; return this; }
    public Builder weightDecay(double v) { weightDecay = v; return this; }
    public Builder warmupRatio(double v) { warmupRatio = v; return this; }
    public Builder maxGradNorm(double v) { maxGradNorm = v; return this; }
    public Builder seed(long v) { seed = v; vbLora.seed(v); lora = lora.withSeed(v); return this; }
    public Builder evalEvery(long v) { evalEvery = v; return this; }
    public Builder logEvery(long v) { logEvery = v; return this; }
    public Builder device(String v) { device = v == null ? null : v.toLowerCase(Locale.ROOT); return this; }
    /** null: on for gpu, off for cpu. */
    public Builder xla(Boolean v) { xla = v; return this; }
    public Builder precision(Precision v) { precision = v; return this; }
    public Builder logPlacement(boolean v) { logPlacement = v; return this; }
    public Builder intraOpThreads(int v) { intraOpThreads = v; return this; }
    public Builder interOpThreads(int v) { interOpThreads = v; return this; }
    /** gpu bf16 with XLA only; the process needs the flags of {@code FusedAttentionFlags}. */
    public Builder fusedAttention(boolean v) { fusedAttention = v; return this; }

    /**
     * Device, XLA, precision, placement logging, threads and fused attention at once, e.g. as the command line
     * read them.
     */
    public Builder deviceOptions(DeviceOptions v) {
      return device(v.device().label()).xla(v.xla()).precision(v.precision()).logPlacement(v.logPlacement())
          .intraOpThreads(v.intraOpThreads()).interOpThreads(v.interOpThreads()).fusedAttention(v.fusedAttention());
    }
    /** null: auto (see {@link TrainConfig#resolvedUpdateForm()}). */
    public Builder updateForm(UpdateForm v) { updateForm = v; return this; }
    public Builder out(Path v) { out = v; return this; }
    public Builder resume(boolean v) { resume = v; return this; }
    public Builder overwrite(boolean v) { overwrite = v; return this; }

    public TrainConfig build() {
      return build(out);
    }

    /**
     * The config as {@link VbLora#inspect(Builder)} reads it: an inspection writes nothing, so {@code out} may be
     * unset (the current folder stands in for it, and nothing reads it).
     */
    TrainConfig buildForInspection() {
      return build(out == null ? Path.of("") : out);
    }

    private TrainConfig build(Path runFolder) {
      return new TrainConfig(model, tag, signature, vocab, lowerCase, train, valid, validFraction, textColumn,
          textPairColumn, labelColumn, noHeader, task, input, features, pooling, output, loss, targets, exclude,
          layers, method, vbLora.build(), lora, epochs, maxSteps, batchSize, maxLength, lengthBuckets, lrBank,
          lrLogits, lrLora, lrHead, weightDecay, warmupRatio, maxGradNorm, seed, evalEvery, logEvery, device, xla,
          precision, logPlacement, intraOpThreads, interOpThreads, fusedAttention, updateForm, runFolder, resume,
          overwrite);
    }
  }
}
