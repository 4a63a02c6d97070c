package dev.finetune.vblora.model;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.ops.LowRankFactors;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.exceptions.TensorFlowException;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.StridedSlice;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.SaverDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TString;
import org.tensorflow.types.family.TType;

/**
 * A model graph with an adapter spliced in (see {@link GraphRewriter}). It owns its Graph: close it when done,
 * after any Session opened on it.
 *
 * <p>A trainer adds its head, loss and update ops to {@link #graph()}, then opens a session and calls
 * {@link #initialize(Session)}: the base weights come from the model's checkpoint (most of them into packed
 * variables, see {@link PackedBaseWeights}), the adapter's from their seeded initial values. Only
 * {@link #trainableVariables()} should be updated; base variables are never among them.
 */
public final class AdaptedGraph implements AutoCloseable {
  private final Graph graph;
  private final AdapterPlan plan;
  private final SignatureDef signature;
  private final SaverDef saver;
  private final Path checkpointPrefix;
  private final String trainingFlag;
  private final List<AdapterVariable> variables;
  private final Optional<PackedLogitsLayout> logitsLayout;
  private final String initOp;
  private final Map<String, AdaptedTarget> targets = new LinkedHashMap<>();
  private final AppliedUpdateForms updateForms;
  private final BaseWeightOps baseWeights;
  private final Optional<StepStaging.StagingLayout> staging;

  AdaptedGraph(Graph graph, AdapterPlan plan, SignatureDef signature, SaverDef saver, Path checkpointPrefix,
      String trainingFlag, List<AdapterVariable> variables, Optional<PackedLogitsLayout> logitsLayout, String initOp,
      List<AdaptedTarget> targets, AppliedUpdateForms updateForms, BaseWeightOps baseWeights,
      Optional<StepStaging.StagingLayout> staging) {
    this.graph = graph;
    this.plan = plan;
    this.signature = signature;
    this.saver = saver;
    this.checkpointPrefix = checkpointPrefix;
    this.trainingFlag = trainingFlag;
    this.variables = List.copyOf(variables);
    this.logitsLayout = logitsLayout;
    this.initOp = initOp;
    targets.forEach(t -> this.targets.put(t.kernel().name(), t));
    this.updateForms = updateForms;
    this.baseWeights = baseWeights;
    this.staging = staging;
  }

  /** The graph; add ops to it freely before opening sessions. */
  public Graph graph() {
    return graph;
  }

  /** A new session on the graph; the caller closes it. */
  public Session newSession() {
    return new Session(graph);
  }

  /** A new session with options (threads, XLA, GPU memory); the caller closes it. */
  public Session newSession(ConfigProto config) {
    return new Session(graph, config);
  }

  /** The plan this graph realises. */
  public AdapterPlan plan() {
    return plan;
  }

  /** The serving signature, its outputs reading the adapted tensors. */
  public SignatureDef signature() {
    return signature;
  }

  /** Signature input key to tensor name, e.g. {@code input_ids -> input_ids:0}. */
  public Map<String, String> inputs() {
    return names(signature.getInputsMap());
  }

  /** Signature output key to tensor name, e.g. {@code pooled_output -> module_apply_tokens/.../Tanh:0}. */
  public Map<String, String> outputs() {
    return names(signature.getOutputsMap());
  }

  private static Map<String, String> names(Map<String, org.tensorflow.proto.TensorInfo> infos) {
    Map<String, String> names = new TreeMap<>();
    infos.forEach((k, v) -> names.put(k, v.getName()));
    return names;
  }

  /**
   * A scalar bool tensor, false unless fed; feed true in training steps to enable adapter dropout. In a graph with
   * {@link #staging()} it is the staged row unless fed: feed false to predict.
   */
  public String trainingFlag() {
    return trainingFlag;
  }

  /**
   * Where the signature inputs and the training flag are staged ({@link StepStaging}), when the graph was
   * rewritten with {@link StepInputs#STAGED} and every input could be staged; empty otherwise.
   */
  public Optional<StepStaging.StagingLayout> staging() {
    return staging;
  }

  /**
   * Every variable the adapter added: the bank and the two packed logits variables (VB-LoRA; where each kernel's
   * logits lie in them is {@link #logitsLayout()}) or each kernel's factors (LoRA).
   */
  public List<AdapterVariable> trainableVariables() {
    return variables;
  }

  /** Where each kernel's logits lie in the packed logits variables; empty for LoRA. */
  public Optional<PackedLogitsLayout> logitsLayout() {
    return logitsLayout;
  }

  /** The trainable variables of one group ({@link AdapterVariable#BANK}, {@link AdapterVariable#LOGITS}, ...). */
  public List<AdapterVariable> trainableVariables(String group) {
    return variables.stream().filter(v -> v.group().equals(group)).collect(Collectors.toList());
  }

  /** The op that assigns every adapter variable its seeded initial value. */
  public String initOp() {
    return initOp;
  }

  /** The adapted kernels, in plan order. */
  public List<AdaptedTarget> targets() {
    return List.copyOf(targets.values());
  }

  /**
   * The update form each adapted kernel got: the form the graph was built in, except where a kernel cannot take it
   * (see {@link AppliedUpdateForms}).
   */
  public AppliedUpdateForms updateForms() {
    return updateForms;
  }

  /** One adapted kernel by name. */
  public AdaptedTarget target(String kernel) {
    AdaptedTarget target = targets.get(kernel);
    if (target == null) {
      throw new VbLoraException("kernel " + kernel + " is not adapted; adapted kernels are "
          + targets.keySet());
    }
    return target;
  }

  /** The factors of one kernel as operands of {@link #graph()}, e.g. for ops.DeltaWeight. */
  public LowRankFactors<TFloat32> factors(String kernel) {
    AdaptedTarget target = target(kernel);
    return new LowRankFactors<>(graph.outputOrThrow(target.down()).expect(TFloat32.class),
        graph.outputOrThrow(target.up()).expect(TFloat32.class));
  }

  /**
   * Restores the base variables from the model's checkpoint: straight into the packed variables where the model's
   * saver allows it (the packed members are then never allocated), else with the saver followed by
   * {@link #packBaseWeights}. A bfloat16 graph's copies of the packed variables are refilled from them. Calling it
   * again restores again.
   */
  public void restore(Session session) {
    if (saver.getRestoreOpName().isEmpty()) {
      throw new IllegalStateException("the model has no saver (SaverDef) to restore its variables with; "
          + "only SavedModels with a TF1 saver can be adapted this way");
    }
    String restoreOp = baseWeights.restoreOp().orElse(saver.getRestoreOpName());
    try (TString prefix = TString.scalarOf(checkpointPrefix.toString())) {
      session.runner().feed(saver.getFilenameTensorName(), prefix).addTarget(restoreOp).run().close();
    }
    if (baseWeights.restoreOp().isEmpty()) {
      packBaseWeights(session);
    } else {
      copyToBfloat16(session);
    }
  }

  /**
   * Whether {@link #restore} reads the checkpoint straight into the packed variables (the packed members are
   * never allocated); false when nothing is packed or the model's saver is one {@link PackedRestore} cannot follow,
   * which restores into the members and then moves them.
   */
  public boolean restoresIntoPackedVariables() {
    return baseWeights.restoreOp().isPresent();
  }

  /** Which frozen base weights the serving path reads from packed variables; none when packing is off. */
  public PackedBaseWeights packedBaseWeights() {
    return baseWeights.weights();
  }

  /**
   * Fills the packed variables from the base variables' current values and frees those variables, group after
   * group, then refills a bfloat16 graph's copies of the packed variables. {@link #restore} does this; call it
   * yourself only after assigning the base variables some other way (a model without a checkpoint). Afterwards the
   * packed members hold no value until restored again: read base weights through {@link #readBaseWeight}.
   *
   * @throws IllegalStateException when a packed member holds no value (e.g. it was already packed and freed)
   */
  public void packBaseWeights(Session session) {
    if (baseWeights.packOp().isEmpty()) {
      return;
    }
    try {
      session.runner().addTarget(baseWeights.packOp().get()).run().close();
    } catch (TensorFlowException e) {
      throw new IllegalStateException("could not pack the base weights into " + baseWeights.weights().groups().size()
          + " packed variables: " + e.getMessage() + " (a member without a value was packed and freed before: "
          + "restore(session) refills the members first)", e);
    }
    copyToBfloat16(session);
  }

  /**
   * The bfloat16 copies of the packed variables that a bfloat16 graph's products read take the packed variables'
   * current values; without this they would keep the values of the fill before, or none.
   */
  private void copyToBfloat16(Session session) {
    baseWeights.bfloat16CopyOp().ifPresent(op -> session.runner().addTarget(op).run().close());
  }

  /**
   * A new op reading base variable {@code variable}'s current value: its row of the packed variable when it is
   * packed, else its own variable.
   */
  public Operand<? extends TType> readBaseWeight(Ops tf, String variable) {
    GraphOperation handle = graph.operationOrThrow(variable);
    Optional<BaseWeightGroup> group = baseWeights.weights().groupOf(variable);
    if (group.isEmpty()) {
      return ResourceVariable.of(handle).read(tf);
    }
    int row = group.get().row(variable);
    Operand<? extends TType> packed = ResourceVariable.of(graph.operationOrThrow(group.get().variable())).read(tf);
    return tf.stridedSlice(packed, tf.constant(new int[] {row}), tf.constant(new int[] {row + 1}),
        tf.constant(new int[] {1}), StridedSlice.shrinkAxisMask(1L));
  }

  /** Restores the base weights and assigns the adapter's initial values. */
  public void initialize(Session session) {
    restore(session);
    session.runner().addTarget(initOp).run().close();
  }

  /**
   * The current dense updates, per kernel variable name, in the variable's own layout: W + delta is the
   * merged kernel (an Einsum kernel of rank 3 or more gets [d_in, d_out]: reshape it to the kernel's shape).
   */
  public Map<String, float[][]> deltas(Session session) {
    Map<String, float[][]> deltas = new LinkedHashMap<>();
    for (AdaptedTarget target : targets.values()) {
      try (Result result = session.runner().fetch(target.delta()).run()) {
        deltas.put(target.kernel().name(), StdArrays.array2dCopyOf((TFloat32) result.get(0)));
      }
    }
    return deltas;
  }

  @Override
  public void close() {
    graph.close();
  }
}
