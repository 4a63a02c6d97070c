package dev.finetune.vblora.training.cli;

import dev.finetune.vblora.data.Task;
import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.data.tokenizer.TokenizerOptions;
import dev.finetune.vblora.savedmodel.BuiltInModels;
import dev.finetune.vblora.training.TrainConfig;
import dev.finetune.vblora.training.TrainingDefaults;
import dev.finetune.vblora.training.Trainer;
import dev.finetune.vblora.training.TrainingResult;
import dev.finetune.vblora.training.device.DeviceOptions;
import dev.finetune.vblora.training.device.DeviceProbe;
import dev.finetune.vblora.training.listen.ProgressBar;
import dev.finetune.vblora.training.listen.TrainingListener;
import dev.finetune.vblora.training.method.AdapterSettings;
import dev.finetune.vblora.training.timing.RunClock;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/** {@code vblora train}: fine-tune a SavedModel with VB-LoRA (or LoRA) on a data file and export the results. */
final class TrainCommand implements Command {
  static final String DATA = "Data";
  static final String TRAINING = "Training";
  static final String OUTPUT = "Output";

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
    TrainConfig defaults = TrainDefaults.CONFIG;
    List<OptionSpec> options = new ArrayList<>(Stream.of(
        OptionSpec.required("model", "M", "a SavedModel folder, or a built-in name (" + BuiltInModels.names() + ")")
            .in(ModelOptions.MODEL),
        OptionSpec.optional("signature", "KEY", "signature whose serving path is adapted", defaults.signature())
            .in(ModelOptions.MODEL),
        OptionSpec.required("train", "FILE", "training data (.tsv, .csv, .jsonl)").typed(ValueType.PATH),
        OptionSpec.optional("valid", "FILE", "validation data; without it --valid-fraction is held out", null)
            .typed(ValueType.PATH),
        OptionSpec.optional("valid-fraction", "F", "share of --train held out for validation",
            TrainDefaults.plain(defaults.validFraction())).typed(ValueType.NUMBER),
        OptionSpec.optional("task", "classification|regression", "what the label column holds",
            defaults.task().cliName()).typed(ValueType.oneOf("classification", "regression")))
        .map(o -> o.section().equals(OptionSpec.OPTIONS) ? o.in(DATA) : o).toList());
    options.addAll(TokenizerFlags.specs());
    options.addAll(ModelIoOptions.specs());
    options.addAll(DataOptions.columnSpecs());
    options.addAll(AdapterOptions.selectionSpecs());
    options.addAll(AdapterOptions.adapterSpecs());
    options.addAll(trainingSpecs());
    options.addAll(SessionOptions.specs());
    options.add(SessionOptions.fusedAttentionSpec());
    options.add(SessionOptions.updateFormSpec());
    options.add(OptionSpec.required("out", "DIR", "output folder").typed(ValueType.PATH).in(OUTPUT));
    options.add(OptionSpec.flag("resume", "continue the run in --out from its newest checkpoint").in(OUTPUT));
    options.add(OptionSpec.flag("overwrite", "replace a previous run's output folder").in(OUTPUT));
    options.add(json("print metrics.json's document on stdout"));
    return options;
  }

  /** {@code --json}, which every command has: its result as one JSON document on stdout. */
  static OptionSpec json(String what) {
    return OptionSpec.flag("json", what).in(OUTPUT);
  }

  @Override
  public boolean takesRunConfig() {
    return true;
  }

  @Override
  public List<String> examples() {
    return List.of(
        "vblora train --model bert-base-uncased --train sst2.tsv --valid-fraction 0.1 --out run",
        "vblora train --model bert-base-uncased --train pairs.tsv --text-column q --text-pair-column a"
            + " --targets all-linear --num-vectors 90 --epochs 5 --out run2",
        "vblora train --config run/config.json --lr-head 1e-3 --out run3   (re-run with one setting changed)",
        "vblora train @run.args   (options read from a file, separated by whitespace)");
  }

  /** The loop's settings, with the defaults of TrainConfig.builder(). */
  static List<OptionSpec> trainingSpecs() {
    TrainConfig d = TrainDefaults.CONFIG;
    return Stream.of(
        integer("epochs", "passes over the training data", d.epochs()),
        OptionSpec.optional("max-steps", "N", "optimizer steps in all (overrides --epochs)", null)
            .typed(ValueType.INTEGER),
        integer("batch-size", "examples per step", d.batchSize()),
        integer("max-length", "tokens per example after truncation", d.maxLength()),
        lengthBucketsSpec(),
        number("lr-bank", "peak learning rate of the vector bank", d.lrBank()),
        number("lr-logits", "peak learning rate of the logits", d.lrLogits()),
        number("lr-lora", "peak learning rate of the LoRA factors (--method lora)", d.lrLora()),
        number("lr-head", "peak learning rate of the task head", d.lrHead()),
        number("weight-decay", "weight decay of head and LoRA factors (never bank, logits)", d.weightDecay()),
        number("warmup-ratio", "share of steps with linear warmup, then linear decay", d.warmupRatio()),
        number("max-grad-norm", "clip the global gradient norm (0: off)", d.maxGradNorm()),
        OptionSpec.optional("eval-every", "N", "evaluate and checkpoint every N steps (default: every epoch)", null)
            .typed(ValueType.INTEGER),
        integer("log-every", "a log.jsonl line every N steps and at the last", d.logEvery()))
        .map(o -> o.in(TRAINING)).toList();
  }

  static OptionSpec integer(String name, String help, long defaultValue) {
    return OptionSpec.optional(name, "N", help, Long.toString(defaultValue)).typed(ValueType.INTEGER);
  }

  private static OptionSpec number(String name, String help, double defaultValue) {
    return OptionSpec.optional(name, "X", help, TrainDefaults.plain(defaultValue)).typed(ValueType.NUMBER);
  }

  /** --length-buckets, shared by train and eval. */
  static OptionSpec lengthBucketsSpec() {
    return OptionSpec.optional("length-buckets", "auto|longest|doubling|N,N", "sequence lengths batches are padded"
        + " to: auto = longest with XLA (one shape, compiled once), doubling (16, 32, ...) without",
        TrainDefaults.CONFIG.lengthBuckets()).in(TRAINING);
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
    AdapterSettings settings = AdapterOptions.settings(args);
    b.vbLora(settings.vbLora()).lora(settings.lora());
    args.integer("seed").ifPresent(b::seed);
    return b;
  }

  @Override
  public int run(ParsedArgs args, PrintStream out, PrintStream err) throws Exception {
    DeviceOptions device = SessionOptions.read(args);
    TrainConfig config = config(args, device);
    Thread notice = InterruptNotice.register(config.out(), args.toArgs(), Trainer.replacesEarlierRun(config), err);
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

  /** The run's settings: the options given (or a --config run's), TrainConfig.builder()'s defaults for the rest. */
  static TrainConfig config(ParsedArgs args, DeviceOptions device) {
    if (args.given("valid") && args.given("valid-fraction")) {
      // With a --valid file the fraction is not used: it used to be ignored silently.
      throw new UsageError("--valid and --valid-fraction exclude each other: give --valid FILE for validation"
          + " data of its own, or --valid-fraction F to hold out part of --train");
    }
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
    b.deviceOptions(device).updateForm(SessionOptions.updateForm(args).orElse(null));
    return trainingSettings(args, adapterSettings(args, ModelIoOptions.apply(args, b))).build();
  }

  /**
   * Runs the trainer with a progress bar on {@code err} and says where the outputs are. A GPU that is not there
   * fails here, before the model is read, with what to build or install.
   */
  static TrainingResult train(TrainConfig config, PrintStream err) throws Exception {
    DeviceOptions device = config.deviceOptions();
    DeviceProbe.requireAvailable(device);
    BuiltInModelFetcher.fromEnvironment().ensureAvailable(config.model(), err);
    TrainingListener warnings = new TrainingListener() {
      @Override
      public void onWarning(String warning) {
        err.println("vblora train: warning: " + warning);
      }
    };
    try (ProgressBar progress = new ProgressBar(err, System::nanoTime, System.console() != null, 10)) {
      TrainingResult result = new Trainer(config, List.of(warnings, progress), RunClock.sinceProcessStart()).run();
      describe(result, err);
      return result;
    }
  }

  static void describe(TrainingResult result, PrintStream err) {
    err.printf(Locale.ROOT, "best (step %d): %s%n", result.bestStep(), format(result.bestMetrics()));
    err.printf(Locale.ROOT, "final: %s%n", format(result.finalMetrics()));
    err.printf(Locale.ROOT, "adapter: %,d trainable, %,d stored parameters (+ %,d in the head); %.0f ms/step%n",
        result.trainableParams(), result.storedParams(), result.headParams(), result.stepMillis());
    err.println("update form: " + result.updateForms().describe());
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
