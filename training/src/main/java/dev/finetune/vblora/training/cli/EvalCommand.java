package dev.finetune.vblora.training.cli;

import dev.finetune.vblora.data.Dataset;
import dev.finetune.vblora.data.DatasetReader;
import dev.finetune.vblora.data.LabelSet;
import dev.finetune.vblora.data.Task;
import dev.finetune.vblora.data.batch.EncodedDataset;
import dev.finetune.vblora.data.batch.LengthBuckets;
import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.data.features.FeatureJsonlReader;
import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.training.BatchShapes;
import dev.finetune.vblora.training.Evaluation;
import dev.finetune.vblora.training.EvaluationBatches;
import dev.finetune.vblora.training.EvaluationConfig;
import dev.finetune.vblora.training.PredictionTable;
import dev.finetune.vblora.training.ScoredModel;
import dev.finetune.vblora.training.ServingModel;
import dev.finetune.vblora.training.device.DeviceOptions;
import dev.finetune.vblora.training.device.CompileTracker;
import dev.finetune.vblora.training.device.DeviceProbe;
import dev.finetune.vblora.training.device.XlaCompilationMode;
import dev.finetune.vblora.training.timing.Phase;
import dev.finetune.vblora.training.timing.RunClock;
import dev.finetune.vblora.training.timing.RunTimings;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.tensorflow.proto.ConfigProto;

/**
 * {@code vblora eval}: scores a model with a task head on a labelled file. The model is a merged folder
 * (from train or merge), or a base model plus {@code --adapter}, merged into a temporary folder first so that
 * what is scored is exactly what would be served.
 */
final class EvalCommand implements Command {
  @Override
  public String name() {
    return "eval";
  }

  @Override
  public String summary() {
    return "score a merged model, or a base model plus an adapter, on a labelled data file";
  }

  @Override
  public List<OptionSpec> options() {
    List<OptionSpec> options = new ArrayList<>(List.of(
        OptionSpec.required("model", "M", "a merged model folder, or the base model of --adapter")
            .in(ModelOptions.MODEL),
        OptionSpec.optional("adapter", "DIR", "adapter folder (adapter_config.json + adapter_model.safetensors)",
            null).typed(ValueType.PATH).in(ModelOptions.MODEL),
        OptionSpec.optional("signature", "KEY", "signature the adapter was trained on",
            TrainDefaults.CONFIG.signature()).in(ModelOptions.MODEL),
        OptionSpec.required("data", "FILE", "labelled data (.tsv, .csv, .jsonl)").typed(ValueType.PATH)
            .in(TrainCommand.DATA)));
    options.addAll(TokenizerFlags.specs());
    options.addAll(ModelIoOptions.evalSpecs());
    options.addAll(DataOptions.columnSpecs());
    options.add(TrainCommand.integer("max-length", "tokens per example after truncation",
        TrainDefaults.CONFIG.maxLength()).in(TrainCommand.DATA));
    options.add(TrainCommand.integer("batch-size", "examples per batch", TrainDefaults.CONFIG.batchSize())
        .in(TrainCommand.DATA));
    options.add(TrainCommand.lengthBucketsSpec().in(TrainCommand.DATA));
    options.add(OptionSpec.optional("predictions-out", "FILE", "write every example's probabilities (or "
        + "regression prediction) as a TSV in the data file's order, as train's valid_predictions.tsv", null)
        .typed(ValueType.PATH).in(TrainCommand.OUTPUT));
    options.add(OptionSpec.optional("compare-predictions", "FILE", "a TSV of --predictions-out or train's "
        + "valid_predictions.tsv for the same data: report max_abs_diff against it", null).typed(ValueType.PATH)
        .in(TrainCommand.OUTPUT));
    options.add(OptionSpec.flag("overwrite", "replace the prediction table --predictions-out names if it exists")
        .in(TrainCommand.OUTPUT));
    options.addAll(SessionOptions.specs());
    options.add(TrainCommand.json("print one JSON document instead of text"));
    return options;
  }

  @Override
  public List<String> examples() {
    return List.of("vblora eval --model run/merged --data test.tsv --json",
        "vblora eval --model bert-base-uncased --adapter run/adapter --data test.tsv",
        "vblora eval --model run/merged --data run/valid_split.tsv --compare-predictions run/valid_predictions.tsv");
  }

  @Override
  public int run(ParsedArgs args, PrintStream out, PrintStream err) throws Exception {
    RunClock clock = RunClock.sinceProcessStart();
    long start = clock.now();
    DeviceOptions device = SessionOptions.read(args);
    // As train and VbLora.evaluate refuse them, naming the option, before any model is read.
    int maxLength = args.integerOrDefault("max-length");
    EvaluationConfig.requireSizes(maxLength, args.integerOrDefault("batch-size"));
    try {
      // Before any model is read or merged: a bad spec is the command line's mistake, whatever the model.
      BatchShapes.validate(args.stringOrDefault("length-buckets"), maxLength);
    } catch (VbLoraException e) {
      throw new UsageError(LibraryErrors.describe(e));
    }
    DeviceProbe.requireAvailable(device);
    Optional<PredictionTable> reference = args.path("compare-predictions").isPresent()
        ? Optional.of(PredictionTable.read(args.path("compare-predictions").get())) : Optional.empty();
    Path model = ModelOptions.folder(args, err);
    Optional<Path> adapter = args.path("adapter");
    if (args.path("predictions-out").isPresent()) {
      Map<String, Path> inputs = new LinkedHashMap<>();
      inputs.put("--data", args.path("data").orElseThrow());
      inputs.put("--model", model);
      inputs.put("--adapter", adapter.orElse(null));
      inputs.put("--compare-predictions", args.path("compare-predictions").orElse(null));
      PredictionsOut.check(args.path("predictions-out").get(), inputs, args.flag("overwrite"));
    }
    try (ScoredModel scored = ScoredModel.of(model, adapter, args.stringOrDefault("tag"),
        args.stringOrDefault("signature"), warning -> err.println("vblora eval: warning: " + warning),
        err::println)) {
      clock.since(Phase.LOAD, start);
      scored.requireTextPairs(args.has("text-pair-column"));
      Map<String, Object> report = evaluate(args, device, scored.folder(), scored.labels(), reference,
          model, adapter, clock, err);
      RunTimings timings = clock.snapshot();
      err.println(timings.summary());
      report.put("timings", timings.toJson());
      if (args.flag("json")) {
        out.println(Json.toIndentedJson(report));
      } else {
        // The timings went to stderr as their own summary line above; as a Map here they would print as Java's.
        report.forEach((k, v) -> {
          if (!k.equals("timings")) {
            out.println(String.format(Locale.ROOT, "%-10s %s", k, v));
          }
        });
      }
      return Cli.OK;
    }
  }

  private static Map<String, Object> evaluate(ParsedArgs args, DeviceOptions device, Path served,
      Optional<LabelSet> labels, Optional<PredictionTable> reference, Path model, Optional<Path> adapter,
      RunClock clock, PrintStream err) throws Exception {
    long start = clock.now();
    CompileTracker compiles = CompileTracker.forThisProcess();
    device.requireSessionPrecision("eval");
    ConfigProto session = device.toConfigProto();
    XlaCompilationMode.compileEachShapeOnFirstCallFor(session);
    try (ServingModel serving = ServingModel.load(served, args.stringOrDefault("tag"),
        args.stringOrDefault("signature"), ModelIoOptions.evalSettings(args), session, compiles)) {
      clock.since(Phase.INIT, start);
      start = clock.now();
      Task task = serving.task();
      labels = serving.requireLabels(labels, model, adapter);
      Path data = args.path("data").orElseThrow();
      EvaluationBatches scored;
      if (serving.inputs().text()) {
        Dataset dataset = task == Task.CLASSIFICATION
            ? DatasetReader.read(data, DataOptions.readOptions(args, task), labels.get())
            : DatasetReader.read(data, DataOptions.readOptions(args, task));
        scored = EvaluationBatches.ofText(serving, served, dataset, TokenizerFlags.read(args),
            args.integerOrDefault("max-length"), args.stringOrDefault("length-buckets"),
            args.integerOrDefault("batch-size"), device.xla(),
            warning -> err.println("vblora eval: warning: " + warning));
      } else {
        EncodedDataset encoded = new FeatureJsonlReader(serving.inputs().featureShapes(),
            args.stringOrDefault("label-column"), task).read(data, labels.orElse(null));
        scored = EvaluationBatches.of(encoded, LengthBuckets.of(1), args.integerOrDefault("batch-size"),
            device.xla());
      }
      clock.since(Phase.DATA, start);
      start = clock.now();
      Map<String, Object> report = new LinkedHashMap<>();
      report.put("examples", (long) scored.encoded().size());
      PredictionTable predictions = PredictionTable.empty(
          PredictionTable.columnsFor(labels.map(LabelSet::names).orElse(List.of())), scored.encoded().size());
      Evaluation.metrics(scored.batches(), predictions.recording(serving::predict),
          labels.map(LabelSet::size).orElse(1), task).forEach(report::put);
      clock.since(Phase.EVAL, start);
      compiles.bookTo(clock, Phase.EVAL);
      if (args.path("predictions-out").isPresent()) {
        try {
          predictions.write(args.path("predictions-out").get());
        } catch (IOException e) {
          throw new UserError(PredictionsOut.OPTION + ": " + e.getMessage(), e);
        }
      }
      if (reference.isPresent()) {
        try {
          report.put("max_abs_diff", predictions.maxAbsDifference(reference.get()));
        } catch (IllegalArgumentException e) {
          throw new UserError("--compare-predictions " + args.path("compare-predictions").get() + ": "
              + e.getMessage());
        }
      }
      return report;
    }
  }

}
