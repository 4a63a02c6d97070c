package dev.finetune.vblora.training;

import dev.finetune.vblora.data.DatasetTsvWriter;
import dev.finetune.vblora.data.Task;
import dev.finetune.vblora.data.error.InvalidSettingException;
import dev.finetune.vblora.model.AdapterPlan;
import dev.finetune.vblora.model.StepInputs;
import dev.finetune.vblora.savedmodel.ModelResolver;
import dev.finetune.vblora.savedmodel.SavedModelInfo;
import dev.finetune.vblora.savedmodel.SavedModelReader;
import dev.finetune.vblora.training.device.XlaCompilationMode;
import dev.finetune.vblora.training.export.AdapterManifest;
import dev.finetune.vblora.training.head.ClassificationHead;
import dev.finetune.vblora.training.head.RegressionHead;
import dev.finetune.vblora.savedmodel.io.ModelIo;
import dev.finetune.vblora.training.listen.CompositeListener;
import dev.finetune.vblora.training.listen.TrainingListener;
import dev.finetune.vblora.training.listen.TrainingListeners;
import dev.finetune.vblora.training.listen.TrainingSummary;
import dev.finetune.vblora.training.optim.AdamWConfig;
import dev.finetune.vblora.training.timing.Phase;
import dev.finetune.vblora.training.timing.RunClock;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.tensorflow.Session;
import org.tensorflow.proto.ConfigProto;

/**
 * Runs one fine-tuning job from a {@link TrainConfig}: the run folder's rules ({@link RunFolder}), the data
 * ({@link TrainingData}), the plan ({@link RunPlanner}), the {@link TrainingGraph}, the loop with its evaluations
 * and checkpoints ({@link TrainingLoop}, {@link RunCheckpoints}) and the outputs ({@link RunExport}). The loop
 * never prints; listeners observe.
 *
 * <p>Besides the caller's listeners every run gets {@link TrainingListeners#defaults()}: the loss guard, which
 * stops the run at the first non-finite loss, and the file logs DIR/log.jsonl, DIR/tensorboard/ and
 * DIR/curves.png. {@link #withDefaultListeners} replaces or drops them. The caller's listeners hear each event
 * first (a non-finite step included, before the guard stops the run).
 */
public final class Trainer {
  /** DIR/valid_predictions.tsv: the best weights' outputs on the validation set (see {@link PredictionTable}). */
  public static final String VALID_PREDICTIONS = "valid_predictions.tsv";

  /** DIR/valid_split.tsv: the examples held out by --valid-fraction, in validation order. */
  public static final String VALID_SPLIT = "valid_split.tsv";

  private final TrainConfig config;
  private final ConfigProto sessionConfig;
  private final List<TrainingListener> listeners;
  private final TrainingListeners.Factory defaultListeners;
  private final RunClock clock;
  private final TrainingExamples examples;

  /**
   * The session is set up from {@code config} alone ({@link TrainConfig#deviceOptions()}): device, XLA,
   * precision and threads have one source, and config.json records what runs.
   *
   * @param listeners observers besides the run's default listeners (e.g. a progress bar); not closed here
   */
  public Trainer(TrainConfig config, List<TrainingListener> listeners) {
    this(config, listeners, null);
  }

  /**
   * @param clock where the run's phase times go (e.g. {@link RunClock#sinceProcessStart()} for a command-line
   *     run), or null for a clock that starts with {@link #run()}
   */
  public Trainer(TrainConfig config, List<TrainingListener> listeners, RunClock clock) {
    this(config, listeners, TrainingListeners.defaults(), clock, null);
  }

  private Trainer(TrainConfig config, List<TrainingListener> listeners, TrainingListeners.Factory defaultListeners,
      RunClock clock, TrainingExamples examples) {
    this.config = config;
    this.sessionConfig = config.deviceOptions().toConfigProto();
    this.listeners = List.copyOf(listeners);
    this.defaultListeners = Objects.requireNonNull(defaultListeners, "defaultListeners");
    this.clock = clock;
    this.examples = examples;
  }

  /**
   * This trainer reading its data from {@code examples} instead of the config's {@code train} and {@code valid}
   * files (text models only; config.json records no file for what came from memory).
   */
  public Trainer withExamples(TrainingExamples examples) {
    return new Trainer(config, listeners, defaultListeners, clock, examples);
  }

  /**
   * Whether a run of {@code config} replaces the run --out holds (overwrite): it is trained aside and swapped in only
   * once it has finished, so a run stopped on the way leaves --out as it was.
   */
  public static boolean replacesEarlierRun(TrainConfig config) throws IOException {
    return RunFolder.replaces(config);
  }

  /** The options the run's session is opened with: {@link TrainConfig#deviceOptions()}'s, always. */
  public ConfigProto sessionConfig() {
    return sessionConfig;
  }

  /**
   * This trainer with {@code defaults} instead of {@link TrainingListeners#defaults()}, e.g.
   * {@link TrainingListeners#lossGuard()} to write no log files, or {@link TrainingListeners#none()}. The trainer
   * makes them when the loop starts and closes them when the run ends.
   */
  public Trainer withDefaultListeners(TrainingListeners.Factory defaults) {
    return new Trainer(config, listeners, defaults, clock, examples);
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
    if (examples != null && (config.train() != null || config.valid() != null)) {
      // One source of data: the files would otherwise be ignored without a word.
      throw new InvalidSettingException(List.of("train", "valid"), "examples given in memory and the data file "
          + (config.train() != null ? config.train() : config.valid()) + " exclude each other; leave train and"
          + " valid unset, or train from the files");
    }
    RunClock clock = this.clock != null ? this.clock : new RunClock(System::nanoTime, System.nanoTime());
    long start = clock.now();
    Path modelFolder = ModelResolver.fromEnvironment().resolve(config.model());
    RunFolder folder = RunFolder.check(config, modelFolder);
    SavedModelInfo model = SavedModelReader.read(modelFolder, config.tags());
    ModelIo io = ModelIo.resolve(model, config.signature(), config.ioSettings());
    RunWarnings.of(config, modelFolder).forEach(this::warn);
    clock.since(Phase.LOAD, start);
    start = clock.now();
    TrainingData data = TrainingData.load(config, examples, modelFolder, model, io);
    // As the manifest records them: a model's own output has no label names of the run's.
    folder.requireResumedClasses(io.ownOutput() ? List.of() : data.labelNames());
    folder.requireUnfinished();
    data.truncationWarning().ifPresent(this::warn);
    data.unknownTokensWarning().ifPresent(this::warn);
    data.mixedLabelsWarning().ifPresent(this::warn);
    clock.since(Phase.DATA, start);
    start = clock.now();
    AdapterPlan plan = RunPlanner.plan(config, model);
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
          TrainConfig inDir = dir.equals(config.out()) ? config : config.toBuilder().out(dir).build();
          return train(inDir, graph, session, data, new RunExport(inDir, model, plan,
              manifest), clock);
        });
      }
    }
  }

  /**
   * The loop and the export of a run whose files go into {@code inFolder.out()} (--out, or the staging folder of
   * a run that replaces it), with the caller's listeners and the default ones.
   */
  private TrainingResult train(TrainConfig inFolder, TrainingGraph graph, Session session, TrainingData data,
      RunExport export, RunClock clock) throws IOException {
    RunCheckpoints checkpoints = RunCheckpoints.open(inFolder, data.task(), export.manifest());
    long resumeStart = clock.now();
    RunCheckpoints.Start start = checkpoints.resume(graph, session);
    clock.since(Phase.CHECKPOINTS, resumeStart);
    TrainingListeners.RunContext context = new TrainingListeners.RunContext(inFolder.out(), start.step(),
        start.checkpoint(), checkpoints.rule().metric(), inFolder.logEvery());
    try (CompositeListener defaults = new CompositeListener(defaultListeners.create(context))) {
      List<TrainingListener> all = new ArrayList<>(listeners);
      all.add(defaults);
      TrainingListener everyone = new CompositeListener(all); // the caller closes its own listeners
      TrainingLoop loop = new TrainingLoop(inFolder, graph, session, data, checkpoints, clock);
      TrainingSummary summary = loop.run(start, everyone);
      TrainingResult result = export.write(summary, loop.validationPredictions(), graph, session, clock);
      everyone.onEnd(summary);
      return result;
    }
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
        .deviceForms(config.deviceOptions())
        // Under XLA every batch has one shape (BatchShapes), so steps can be staged on the device in groups.
        .stepInputs(config.xlaEnabled() ? StepInputs.STAGED : StepInputs.FED)
        .build();
  }

  /** Tells the caller's listeners what the run noticed and goes on with. */
  private void warn(String warning) {
    listeners.forEach(listener -> listener.onWarning(warning));
  }
}
