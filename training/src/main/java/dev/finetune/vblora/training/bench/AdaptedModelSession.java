package dev.finetune.vblora.training.bench;

import dev.finetune.vblora.data.error.InvalidSettingException;
import dev.finetune.vblora.model.AdapterPlan;
import dev.finetune.vblora.model.AppliedUpdateForms;
import dev.finetune.vblora.model.FedValues;
import dev.finetune.vblora.model.StepInputs;
import dev.finetune.vblora.savedmodel.SavedModelInfo;
import dev.finetune.vblora.training.StagedGroup;
import dev.finetune.vblora.training.StagedSteps;
import dev.finetune.vblora.training.StepLaunch;
import dev.finetune.vblora.training.TrainingGraph;
import dev.finetune.vblora.training.device.DeviceOptions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;

/**
 * The training graph of one adapter (model + adapter + the task {@link BenchTask} detects + loss + AdamW) on one
 * session, with everything a step feeds made once: token ids, labels, the training flag and the learning-rate
 * multiplier. Gives the train step and the forward pass (the same graph, fetching only the output sum, so
 * TensorFlow prunes the head, the gradients and the update away).
 */
final class AdaptedModelSession implements AutoCloseable {
  private static final String FORWARD_SUM = "bench_forward_sum";

  private final String method;
  private final TrainingGraph graph;
  private final Session session;
  private final SyntheticBatch batch;
  private final Tensor labels;
  private final TBool training;
  private final TFloat64 multiplier;
  private final String forwardSum;

  private AdaptedModelSession(String method, TrainingGraph graph, Session session, SyntheticBatch batch,
      Tensor labels, TBool training, TFloat64 multiplier, String forwardSum) {
    this.method = method;
    this.graph = graph;
    this.session = session;
    this.batch = batch;
    this.labels = labels;
    this.training = training;
    this.multiplier = multiplier;
    this.forwardSum = forwardSum;
  }

  /**
   * Builds the graph (seconds), opens a session with {@code device}'s options and makes the inputs.
   *
   * @param prepared the run's task, inputs, measured output and settings (with a task)
   */
  static AdaptedModelSession open(SavedModelInfo model, String signature, String method, AdapterPlan plan,
      BenchTask.Prepared prepared, DeviceOptions device) {
    BenchSettings settings = prepared.settings();
    BenchTask task = prepared.task();
    // As train does: under XLA the step reads its batch from device staging and is fed nothing.
    TrainingGraph graph = task.applyTo(TrainingGraph.builder(model, plan).signature(signature), settings.seed())
        .updateForm(settings.updateFormFor(plan))
        .deviceForms(device)
        .stepLaunch(settings.stepLaunchFor())
        .stepInputs(device.xla() ? StepInputs.STAGED : StepInputs.FED)
        .build();
    Optional<String> refusal = graph.staging().flatMap(StagedSteps::launchRefusal);
    if (settings.stepLaunch() == StepLaunch.WHOLE && refusal.isPresent()) {
      String reason = refusal.get();
      graph.close();
      throw new InvalidSettingException("stepLaunch", "the " + method + " step cannot run as one XLA program: "
          + reason + "; use step launch clustered (--step-launch clustered)");
    }
    Session session = null;
    SyntheticBatch batch = null;
    List<Tensor> fed = new ArrayList<>(); // labels, training flag, multiplier: the session owns them once opened
    AdaptedModelSession opened;
    try {
      String sum = ScalarSum.add(graph.graph(), graph.adapted().outputs().get(prepared.measuredOutput()),
          FORWARD_SUM);
      session = graph.open(device.toConfigProto());
      batch = prepared.batch(model, signature, settings.seed());
      Tensor labels = task.labels(settings.batchSize(), settings.seed() + 1);
      fed.add(labels);
      TBool training = TBool.scalarOf(true);
      fed.add(training);
      TFloat64 multiplier = TFloat64.scalarOf(1.0);
      fed.add(multiplier);
      opened = new AdaptedModelSession(method, graph, session, batch, labels, training, multiplier, sum);
    } catch (RuntimeException e) {
      fed.forEach(Tensor::close);
      if (batch != null) {
        batch.close();
      }
      if (session != null) {
        session.close();
      }
      graph.close();
      throw e;
    }
    try {
      opened.stageTheBatch();
    } catch (RuntimeException e) {
      opened.close();
      throw e;
    }
    return opened;
  }

  /** How the training step runs (see {@link StagedSteps#stepLaunch}); fed steps run as built. */
  StepLaunch stepLaunch() {
    return graph.staging().map(StagedSteps::stepLaunch).orElse(StepLaunch.CLUSTERED);
  }

  /**
   * Forward, loss, gradients, clipping and AdamW: the train op, fetching the loss on every {@code syncEvery}-th
   * step (see {@link BenchSettings#syncEvery()}).
   */
  TimedRun trainStep(int syncEvery) {
    // A staged step's own loss output: fetching the graph's loss tensor next to a whole-step launch would run the
    // forward pass a second time outside the XLA program.
    Session.Runner withLoss = trainRunner().fetch(graph.staging().map(StagedSteps::stepLoss)
        .orElse(graph.loss()));
    return syncEvery == 1 ? new TimedRun(method, BenchMode.TRAIN, withLoss)
        : new TimedRun(method, BenchMode.TRAIN, withLoss, trainRunner(), syncEvery);
  }

  /**
   * With staged steps, the batch is staged once as a group of one (every step's cursor row is 0): a step then
   * feeds nothing, as train's steps do.
   */
  private void stageTheBatch() {
    graph.staging().ifPresent(staged -> stageOneStep(graph, session, batch, labels, training, multiplier));
  }

  /**
   * Stages {@code batch} on {@code session} as a group of one step of {@code graph}'s staged steps, with these
   * labels, training flag and learning-rate multiplier and every row weighing 1.
   */
  static void stageOneStep(TrainingGraph graph, Session session, SyntheticBatch batch, Tensor labels,
      TBool training, TFloat64 multiplier) {
    StagedSteps staged = graph.staging().orElseThrow();
    float[] ones = new float[batch.batchSize()];
    Arrays.fill(ones, 1f);
    Map<String, Tensor> inputs = new LinkedHashMap<>();
    graph.adapted().inputs().forEach((key, tensor) -> inputs.put(key, batch.tensors().get(tensor)));
    try (TFloat32 weights = TFloat32.vectorOf(ones);
        StagedGroup group = StagedGroup.of(staged.layout(), 1, 1, (slot, step) -> switch (slot) {
          case FedValues.TRAINING -> training;
          case FedValues.LEARNING_RATE_MULTIPLIER -> multiplier;
          case FedValues.LABELS -> labels;
          case FedValues.EXAMPLE_WEIGHTS -> weights;
          default -> StagedGroup.input(slot, inputs);
        })) {
      staged.stage(session, group, null);
    }
  }

  private Session.Runner trainRunner() {
    if (graph.staging().isPresent()) {
      return session.runner().addTarget(graph.staging().get().stepOp());
    }
    return batch.feed(session.runner())
        .feed(graph.labels(), labels)
        .feed(graph.trainingFlag(), training)
        .feed(graph.learningRateMultiplier(), multiplier)
        .addTarget(graph.trainOp());
  }

  /** The adapted model's forward pass alone, fetching the sum of its measured output ({@link BenchTask}). */
  TimedRun forward() {
    return new TimedRun(method, BenchMode.FORWARD, batch.feed(session.runner()).fetch(forwardSum));
  }

  /** The adapter's current dense updates by kernel variable, for merging into the base weights. */
  Map<String, float[][]> deltas() {
    return graph.deltas(session);
  }

  /** Trainable parameters: adapter plus head (none when the model's own output is trained). */
  long trainableParams() {
    return graph.trainableParams();
  }

  /** The update form each adapted kernel got. */
  AppliedUpdateForms updateForms() {
    return graph.adapted().updateForms();
  }

  @Override
  public void close() {
    try {
      session.close();
    } finally {
      batch.close();
      labels.close();
      training.close();
      multiplier.close();
      graph.close();
    }
  }
}
