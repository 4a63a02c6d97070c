package dev.finetune.vblora.training.cli;

import dev.finetune.vblora.data.Task;
import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.data.tokenizer.TokenizerOptions;
import dev.finetune.vblora.savedmodel.BuiltInModels;
import dev.finetune.vblora.training.BatchShapes;
import dev.finetune.vblora.training.TrainConfig;
import dev.finetune.vblora.training.Trainer;
import dev.finetune.vblora.training.TrainingResult;
import dev.finetune.vblora.training.device.Device;
import dev.finetune.vblora.training.device.DeviceOptions;
import dev.finetune.vblora.training.device.DeviceProbe;
import dev.finetune.vblora.training.device.XlaCpuFlag;
import dev.finetune.vblora.training.listen.ProgressBar;
import dev.finetune.vblora.training.timing.RunClock;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code vblora train}: fine-tune a SavedModel with VB-LoRA (or LoRA) on a data file and export the results. */
final class TrainCommand implements Command {
  @Override
  public String name() {
    return "train";
  }

  @Override
  public String summary() {
    return "fine-tune a SavedModel with VB-LoRA (or LoRA) and export adapter, merged model and metrics";
  }

  @Override
  public List<OptionSpec> options() {
    List<OptionSpec> options = new ArrayList<>(List.of(
        OptionSpec.required("model", "M", "a SavedModel folder, or a built-in name (" + BuiltInModels.names() + ")"),
        OptionSpec.optional("signature", "KEY", "signature whose serving path is adapted", "serving_default"),
        OptionSpec.required("train", "FILE", "training data (.tsv, .csv, .jsonl)"),
        OptionSpec.optional("valid", "FILE", "validation data; without it --valid-fraction is held out", null),
        OptionSpec.optional("valid-fraction", "F", "share of --train held out for validation", "0.1"),
        OptionSpec.optional("task", "classification|regression", "what the label column holds", "classification")));
    options.addAll(TokenizerFlags.specs());
    options.addAll(ModelIoOptions.specs());
    options.addAll(DataOptions.columnSpecs());
    options.addAll(AdapterOptions.selectionSpecs());
    options.addAll(AdapterOptions.adapterSpecs());
    options.addAll(trainingSpecs());
    options.addAll(SessionOptions.specs());
    options.add(SessionOptions.updateFormSpec());
    options.add(OptionSpec.required("out", "DIR", "output folder"));
    options.add(OptionSpec.flag("resume", "continue the run in --out from its newest checkpoint"));
    options.add(OptionSpec.flag("overwrite", "replace a previous run's output folder"));
    options.add(OptionSpec.flag("json", "print metrics.json's document on stdout"));
    return options;
  }

  /** The loop's settings, with the defaults of TrainConfig.Builder. */
  static List<OptionSpec> trainingSpecs() {
    return List.of(
        OptionSpec.optional("epochs", "N", "passes over the training data", "3"),
        OptionSpec.optional("max-steps", "N", "optimizer steps in all (overrides --epochs)", null),
        OptionSpec.optional("batch-size", "N", "examples per step", "32"),
        OptionSpec.optional("max-length", "N", "tokens per example after truncation", "128"),
        lengthBucketsSpec(),
        OptionSpec.optional("lr-bank", "X", "peak learning rate of the vector bank", "1e-3"),
        OptionSpec.optional("lr-logits", "X", "peak learning rate of the logits", "1e-2"),
        OptionSpec.optional("lr-lora", "X", "peak learning rate of the LoRA factors (--method lora)", "5e-4"),
        OptionSpec.optional("lr-head", "X", "peak learning rate of the task head", "4e-3"),
        OptionSpec.optional("weight-decay", "X", "weight decay of head and LoRA factors (never bank, logits)", "0.01"),
        OptionSpec.optional("warmup-ratio", "X", "share of steps with linear warmup, then linear decay", "0.06"),
        OptionSpec.optional("max-grad-norm", "X", "clip the global gradient norm (0: off)", "1.0"),
        OptionSpec.optional("eval-every", "N", "evaluate and checkpoint every N steps (default: every epoch)", null),
        OptionSpec.optional("log-every", "N", "a log.jsonl line every N steps", "10"));
  }

  /** --length-buckets, shared by train and eval. */
  static OptionSpec lengthBucketsSpec() {
    return OptionSpec.optional("length-buckets", "auto|longest|doubling|N,N", "sequence lengths batches are padded"
        + " to: auto = longest with XLA (one shape, compiled once), doubling (16, 32, ...) without", BatchShapes.AUTO);
  }

  static TrainConfig.Builder trainingSettings(ParsedArgs args, TrainConfig.Builder b) {
    args.integer("epochs").ifPresent(b::epochs);
    // In the config 0 means "not set" (epochs decide; once per epoch), so an explicit 0 would be ignored silently.
    args.integer("max-steps").ifPresent(v -> b.maxSteps(atLeastOne("max-steps", v, "to train for --epochs")));
    args.integer("batch-size").ifPresent(b::batchSize);
    args.integer("max-length").ifPresent(b::maxLength);
    args.string("length-buckets").ifPresent(b::lengthBuckets);
    args.number("lr-bank").ifPresent(b::lrBank);
    args.number("lr-logits").ifPresent(b::lrLogits);
    args.number("lr-lora").ifPresent(b::lrLora);
    args.number("lr-head").ifPresent(b::lrHead);
    args.number("weight-decay").ifPresent(b::weightDecay);
    args.number("warmup-ratio").ifPresent(b::warmupRatio);
    args.number("max-grad-norm").ifPresent(b::maxGradNorm);
    args.integer("eval-every").ifPresent(v -> b.evalEvery(atLeastOne("eval-every", v,
        "to evaluate once per epoch")));
    args.integer("log-every").ifPresent(b::logEvery);
    return b;
  }

  private static int atLeastOne(String option, int value, String withoutIt) {
    if (value < 1) {
      throw new UserError("--" + option + " must be at least 1, got " + value + "; leave it out " + withoutIt);
    }
    return value;
  }

  static TrainConfig.Builder adapterSettings(ParsedArgs args, TrainConfig.Builder b) {
    args.string("targets").ifPresent(b::targets);
    args.string("exclude").ifPresent(b::exclude);
    args.string("layers").ifPresent(b::layers);
    b.method(AdapterOptions.method(args));
    // One parser of the adapter options (AdapterOptions); their defaults are TrainConfig's.
    b.vbLora(AdapterOptions.vbLora(args)).lora(AdapterOptions.lora(args));
    args.integer("seed").ifPresent(b::seed);
    return b;
  }

  @Override
  public int run(ParsedArgs args, PrintStream out, PrintStream err) throws Exception {
    TrainConfig.Builder b = TrainConfig.builder()
        .model(args.string("model").orElseThrow())
        .signature(args.stringOrDefault("signature"))
        .train(args.path("train").orElseThrow())
        .valid(args.path("valid").orElse(null))
        .validFraction(args.numberOrDefault("valid-fraction"))
        .textColumn(args.stringOrDefault("text-column"))
        .textPairColumn(args.string("text-pair-column").orElse(null))
        .labelColumn(args.stringOrDefault("label-column"))
        .noHeader(args.flag("no-header"))
        .task(Task.parse(args.stringOrDefault("task")))
        .out(args.path("out").orElseThrow())
        .resume(args.flag("resume"))
        .overwrite(args.flag("overwrite"));
    TokenizerOptions tokenizer = TokenizerFlags.read(args);
    b.vocab(tokenizer.vocab()).lowerCase(tokenizer.lowerCase());
    b.deviceOptions(SessionOptions.read(args)).updateForm(SessionOptions.updateForm(args).orElse(null));
    TrainConfig config = trainingSettings(args, adapterSettings(args, ModelIoOptions.apply(args, b))).build();
    Thread notice = InterruptNotice.register(config.out(), args.toArgs(), err);
    TrainingResult result;
    try {
      result = train(config, err);
    } finally {
      InterruptNotice.unregister(notice);
    }
    if (args.flag("json")) {
      out.println(Json.toIndentedJson(result.toJson()));
    }
    return Cli.OK;
  }

  /**
   * Runs the trainer with a progress bar on {@code err} and says where the outputs are. A GPU that is not there
   * fails here, before the model is read, with what to build or install.
   */
  static TrainingResult train(TrainConfig config, PrintStream err) throws Exception {
    DeviceOptions device = config.deviceOptions();
    DeviceProbe.requireAvailable(device);
    BuiltInModelFetcher.fromEnvironment().ensureAvailable(config.model(), err);
    if (device.device() == Device.CPU && device.xla() && !XlaCpuFlag.enabled()) {
      err.println("vblora: warning: " + XlaCpuFlag.hint());
    }
    try (ProgressBar progress = new ProgressBar(err, System::nanoTime, System.console() != null, 10)) {
      TrainingResult result = new Trainer(config, List.of(progress), RunClock.sinceProcessStart()).run();
      describe(result, err);
      return result;
    }
  }

  static void describe(TrainingResult result, PrintStream err) {
    err.printf(Locale.ROOT, "best (step %d): %s%n", result.bestStep(), format(result.best()));
    err.printf(Locale.ROOT, "final: %s%n", format(result.last()));
    err.printf(Locale.ROOT, "adapter: %,d trainable, %,d stored parameters (+ %,d in the head); %.0f ms/step%n",
        result.trainableParams(), result.storedParams(), result.headParams(), result.stepMillis());
    err.println("outputs in " + result.out().toAbsolutePath().normalize() + ":");
    err.println("  metrics.json   " + result.metricsFile().toAbsolutePath().normalize());
    err.println("  adapter/       " + result.adapter().toAbsolutePath().normalize() + "   (PEFT format)");
    err.println("  merged/        " + result.merged().toAbsolutePath().normalize() + "   (SavedModel for TF Serving)");
    err.println("  log.jsonl, curves.png, tensorboard/, checkpoints/");
    err.println(result.timings().summary());
  }

  private static String format(Map<String, Double> metrics) {
    StringBuilder s = new StringBuilder();
    metrics.forEach((k, v) -> s.append(s.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%s %.4f", k, v)));
    return s.toString();
  }
}
