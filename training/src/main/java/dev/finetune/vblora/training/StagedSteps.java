package dev.finetune.vblora.training;

import dev.finetune.vblora.model.StepStaging;
import dev.finetune.vblora.model.StepStaging.StagedSlot;
import dev.finetune.vblora.model.StepStaging.StagingLayout;
import dev.finetune.vblora.model.XlaLaunchStep;
import dev.finetune.vblora.training.device.CompileTracker;
import dev.finetune.vblora.training.optim.TrainStep;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.VarHandleOp;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TType;

/**
 * Training steps that feed nothing (see {@link StepStaging}): {@link #stage} copies the values of up to K steps to
 * the device in one call and sets the step cursor to 0; each {@link #step} then runs the train op with no feed and
 * no fetch, writes its loss and gradient norm into row {@code cursor mod K} of two history variables, and
 * advances the cursor; {@link #results} reads the histories back once per group. Without a feed or a fetch a
 * session call returns once its kernels are queued, so the host prepares step n+1 while the device runs step n.
 */
public final class StagedSteps {
  private static final String HISTORY = "history";

  private final StagingLayout layout;
  private final Map<String, String> stageFeeds;
  private final String historyRows;
  private final String firstRow;
  private final String stageOp;
  private final String stepOp;
  private final String stepLoss;
  private final LaunchedStep launched;
  private final String lossHistory;
  private final String gradNormHistory;

  private StagedSteps(StagingLayout layout, Map<String, String> stageFeeds, String historyRows, String firstRow,
      String stageOp, String stepOp, String stepLoss, LaunchedStep launched, String lossHistory,
      String gradNormHistory) {
    this.layout = layout;
    this.stageFeeds = Map.copyOf(stageFeeds);
    this.historyRows = historyRows;
    this.firstRow = firstRow;
    this.stageOp = stageOp;
    this.stepOp = stepOp;
    this.stepLoss = stepLoss;
    this.launched = launched;
    this.lossHistory = lossHistory;
    this.gradNormHistory = gradNormHistory;
  }

  /**
   * Adds the staging call's ops and the staged step's to the graph of {@code staging}, whose slots are complete
   * (the inputs, the training flag, labels, row weights and the learning rate's multiplier).
   */
  static StagedSteps build(Graph graph, StepStaging staging, TrainStep train, Operand<TFloat32> loss) {
    StagingLayout layout = staging.layout();
    Ops tf = Ops.create(graph).withSubScope(layout.scope());
    Operand<TInt64> cursorHandle = graph.operationOrThrow(layout.cursorVariable()).output(0);
    Operand<TInt64> cursor = graph.outputOrThrow(layout.cursorValue()).expect(TInt64.class);

    Ops stage = tf.withSubScope("stage");
    List<Operation> assigns = new ArrayList<>();
    Map<String, String> feeds = new LinkedHashMap<>();
    for (StagedSlot slot : layout.slots()) {
      Class<? extends TType> type = StepStaging.tensorType(slot.stored());
      Operand<? extends TType> value = stage.placeholder(type);
      feeds.put(slot.name(), value.op().name() + ":0");
      assigns.add(uncompiledAssign(graph, stage, graph.operationOrThrow(slot.variable()).output(0), value));
    }
    // Fed from the host rather than computed: the staging call is then fed values and uncompiled assignments only,
    // and XLA finds nothing in it to compile.
    Operand<TFloat32> zeros = stage.withName("history_rows").placeholder(TFloat32.class);
    Operand<TInt64> firstRow = stage.withName("first_row").placeholder(TInt64.class);
    VarHandleOp losses = history(tf, layout.scope(), "loss");
    VarHandleOp norms = history(tf, layout.scope(), "grad_norm");
    assigns.add(uncompiledAssign(graph, stage, losses, zeros));
    assigns.add(uncompiledAssign(graph, stage, norms, zeros));
    assigns.add(uncompiledAssign(graph, stage, cursorHandle, firstRow));
    Op stageAll = stage.withName("all").withControlDependencyOps(assigns).noOp();

    Ops step = tf.withSubScope("step");
    Operand<TFloat32> lossRead = step.withName("loss_history").readVariableOp(losses, TFloat32.class);
    Operand<TFloat32> normRead = step.withName("grad_norm_history").readVariableOp(norms, TFloat32.class);
    Operand<TInt64> rows = step.gather(step.shape(lossRead, TInt64.class), step.constant(0), step.constant(0));
    Operand<TInt64> row = step.reshape(step.math.floorMod(cursor, rows), step.constant(new long[] {1}));
    Op lossWrite = step.resourceScatterUpdate(losses, row, step.reshape(loss, step.constant(new long[] {1})));
    Op normWrite = step.resourceScatterUpdate(norms, row, step.reshape(
        step.dtypes.cast(train.globalGradNorm(), TFloat32.class), step.constant(new long[] {1})));
    Op advance = step.withControlDependencyOps(cursor.op()).assignAddVariableOp(cursorHandle, step.constant(1L));
    Op stepAll = step.withName("all").withControlDependencies(List.of(train.trainOp(), lossWrite, normWrite,
        advance)).noOp();
    return new StagedSteps(layout, feeds, name(zeros), name(firstRow), stageAll.op().name(), stepAll.op().name(),
        name(loss), null, name(lossRead), name(normRead));
  }

  /**
   * The same steps run as one XLA program (see {@link XlaLaunchStep} and {@link StepLaunch#WHOLE}), which updates
   * the step's variables in place; staging and results are unchanged. Should XLA refuse to compile the program,
   * the steps run as built (see {@link LaunchedStep}).
   */
  StagedSteps launchedAsOneProgram(Graph graph) {
    LaunchedStep launched;
    try {
      String launch = XlaLaunchStep.attach(graph, stepOp, List.of(stepLoss), layout.scope() + "/step/launch");
      launched = new LaunchedStep(launch, launch + ":0", stepOp, stepLoss);
    } catch (XlaLaunchStep.Unsuitable e) {
      launched = LaunchedStep.refused(stepOp, stepLoss, e.getMessage());
    }
    return new StagedSteps(layout, stageFeeds, historyRows, firstRow, stageOp, stepOp, stepLoss, launched,
        lossHistory, gradNormHistory);
  }

  /**
   * An AssignVariableOp that XLA's auto-clustering leaves alone ({@code _XlaCompile} false): the staging call
   * only moves fed values into variables, and compiling that would be one more compilation per run for nothing.
   */
  private static Operation uncompiledAssign(Graph graph, Ops scope, Operand<?> variable, Operand<?> value) {
    return graph.opBuilder("AssignVariableOp", scope.scope().makeOpName("assign"), scope.scope())
        .addInput(variable.asOutput())
        .addInput(value.asOutput())
        .setAttr("dtype", value.asOutput().dataType())
        .setAttr("_XlaCompile", false)
        .build();
  }

  private static VarHandleOp history(Ops tf, String scope, String name) {
    return tf.withSubScope(HISTORY).withName(name).varHandleOp(TFloat32.class, Shape.unknown(),
        VarHandleOp.sharedName(scope + "/" + HISTORY + "/" + name));
  }

  private static String name(Operand<?> operand) {
    return operand.op().name() + ":" + operand.asOutput().index();
  }

  /** The op to run as the only target of a staged step (benchmarks drive the session themselves). */
  public String stepOp() {
    return launched == null ? stepOp : launched.op();
  }

  /**
   * The step's loss, to fetch in the same call as {@link #stepOp()} (benchmarks that read a loss every N steps);
   * a training loop reads {@link #results} instead.
   */
  public String stepLoss() {
    return launched == null ? stepLoss : launched.loss();
  }

  /** How the steps run: as built, or as one XLA program unless it was refused (see {@link #launchRefusal}). */
  public StepLaunch stepLaunch() {
    return launched == null || launched.refusal().isPresent() ? StepLaunch.CLUSTERED : StepLaunch.WHOLE;
  }

  /**
   * Why the steps, asked to run as one XLA program, run as built: the step draws seeded random numbers, or XLA
   * refused to compile it on its first call.
   */
  public Optional<String> launchRefusal() {
    return launched == null ? Optional.empty() : launched.refusal();
  }

  /** The slots in creation order (signature inputs first, then the training flag, labels, ...). */
  public StagingLayout layout() {
    return layout;
  }

  /**
   * Copies {@code group}'s steps to the device and points the cursor at its first; one session call that waits
   * for the steps before it to finish.
   */
  public void stage(Session session, StagedGroup group, CompileTracker compiles) {
    try (TFloat32 rows = TFloat32.tensorOf(Shape.of(group.capacity())); TInt64 first = TInt64.scalarOf(0)) {
      Session.Runner runner = session.runner().addTarget(stageOp).feed(historyRows, rows).feed(firstRow, first);
      for (StagedSlot slot : layout.slots()) {
        runner.feed(stageFeeds.get(slot.name()), group.tensor(slot.name()));
      }
      (compiles == null ? runner.run() : compiles.run(runner, "stage", group.capacity())).close(); // nothing fetched
    }
  }

  /** Enqueues one step on the staged values; returns without waiting for the device. */
  public void step(Session session, CompileTracker compiles, long... shape) {
    if (launched != null) {
      launched.run(session, compiles, "train", shape);
    } else {
      LaunchedStep.call(session, stepOp, compiles, "train", shape);
    }
  }

  /** The loss and gradient norm of the first {@code steps} steps since the last {@link #stage}. */
  public List<TrainingGraph.StepResult> results(Session session, int steps) {
    try (Result result = session.runner().fetch(lossHistory).fetch(gradNormHistory).run()) {
      float[] losses = StdArrays.array1dCopyOf((TFloat32) result.get(0));
      float[] norms = StdArrays.array1dCopyOf((TFloat32) result.get(1));
      if (steps > losses.length) {
        throw new IllegalStateException(steps + " steps ran on a group of " + losses.length);
      }
      List<TrainingGraph.StepResult> out = new ArrayList<>(steps);
      for (int i = 0; i < steps; i++) {
        out.add(new TrainingGraph.StepResult(losses[i], norms[i]));
      }
      return out;
    }
  }
}
