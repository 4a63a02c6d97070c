package dev.finetune.vblora.model;

import dev.finetune.vblora.data.error.InvalidSettingException;
import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.ops.AdapterDropout;
import dev.finetune.vblora.ops.DeltaWeight;
import dev.finetune.vblora.ops.FusedFactorComposition;
import dev.finetune.vblora.ops.LayerShape;
import dev.finetune.vblora.ops.LoraDims;
import dev.finetune.vblora.ops.LoraFactorsInit;
import dev.finetune.vblora.ops.LowRankFactors;
import dev.finetune.vblora.ops.LowRankUpdate;
import dev.finetune.vblora.ops.VbLoraDims;
import dev.finetune.vblora.ops.VbLoraInit;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.linalg.MatMul;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;

/**
 * Splices an adapter into a model's graph: the adapter's variables and factors are added, and every consumer of
 * an adapted MatMul now reads MatMul + low-rank update instead (or, in {@link UpdateForm#MERGED}, a MatMul of the
 * same activation with the frozen kernel plus the adapter's delta). The serving path reads most base variables
 * from a few packed variables, one per shape, which {@link AdaptedGraph#restore} fills from the model's own
 * checkpoint (see {@link PackedBaseWeights}).
 *
 * <p>How: the adapter is built with the Ops API in a small graph of its own, placeholders standing in for the
 * base tensors it reads (each target's activation and MatMul output); its nodes are then added to the base
 * GraphDef with the stand-ins resolved, the consumers of each target MatMul are re-pointed there, and the
 * result is imported once. TF-Java cannot re-point an edge of a live graph without reaching into native
 * handles, and building on the imported model would be slow (see {@link AdapterInputs}).
 *
 * <p>TF2 (Keras) exports apply their kernels inside functions. Those functions on the serving path are first
 * inlined into the main graph ({@link ServingPathInliner}), which turns their Dense and attention kernels into
 * main-graph MatMuls and Einsums that are spliced as above (an Einsum through a reshape to [-1, d_in]); the
 * signature's outputs are re-pointed to the inlined tensors. Inlining rather than threading the adapter's
 * tensors through the call chain as extra function arguments keeps one splice for both kinds of model, and
 * keeps the path from loss to adapter on plain ops with C++ gradients, which Graph.addGradients needs.
 */
public final class GraphRewriter {
  private GraphRewriter() {}

  /**
   * Adapts the kernels of {@code plan} on the serving path of {@code signatureKey}.
   *
   * @param checkpointPrefix the base weights, e.g. {@code <model>/variables/variables}
   * @return the adapted graph; the caller closes it
   */
  public static AdaptedGraph rewrite(MetaGraphDef metaGraph, String signatureKey, AdapterPlan plan,
      Path checkpointPrefix) {
    return rewrite(metaGraph, signatureKey, plan, checkpointPrefix, UpdateForm.LOW_RANK);
  }

  /**
   * As {@link #rewrite(MetaGraphDef, String, AdapterPlan, Path)}, with the adapted MatMuls computing their
   * update in {@code form}.
   *
   * @throws IllegalArgumentException for a merged form ({@link UpdateForm#merged}) with adapter dropout, which
   *     those forms cannot apply
   */
  public static AdaptedGraph rewrite(MetaGraphDef metaGraph, String signatureKey, AdapterPlan plan,
      Path checkpointPrefix, UpdateForm form) {
    return rewrite(metaGraph, signatureKey, plan, checkpointPrefix, form, GemmPrecision.FLOAT32);
  }

  /**
   * As {@link #rewrite(MetaGraphDef, String, AdapterPlan, Path, UpdateForm)}, with the data path's matrix products
   * computing in {@code precision} (see {@link Bfloat16Gemms}).
   */
  public static AdaptedGraph rewrite(MetaGraphDef metaGraph, String signatureKey, AdapterPlan plan,
      Path checkpointPrefix, UpdateForm form, GemmPrecision precision) {
    return rewrite(metaGraph, signatureKey, plan, checkpointPrefix, form, precision, StepInputs.FED);
  }

  /**
   * As {@link #rewrite(MetaGraphDef, String, AdapterPlan, Path, UpdateForm, GemmPrecision)}; with {@link
   * StepInputs#STAGED} the signature inputs and the training flag read their staged rows when not fed (see
   * {@link AdaptedGraph#staging()}; a model whose inputs are not all stageable placeholders is left fed).
   */
  public static AdaptedGraph rewrite(MetaGraphDef metaGraph, String signatureKey, AdapterPlan plan,
      Path checkpointPrefix, UpdateForm form, GemmPrecision precision, StepInputs stepInputs) {
    return rewrite(metaGraph, signatureKey, plan, checkpointPrefix,
        GraphForms.defaults().withUpdate(form).withPrecision(precision).withStepInputs(stepInputs));
  }

  /**
   * Adapts the kernels of {@code plan} on the serving path of {@code signatureKey}, writing the graph in {@code
   * forms}.
   *
   * @throws VbLoraException for {@link AttentionForm#FUSED} in a float32 graph, in a model without an attention core
   *     of the form {@link FusedAttention} rewrites, or when this process cannot give the fused form its gradient;
   *     for {@link UpdateForm#MERGED} with adapter dropout, which that form cannot apply
   */
  public static AdaptedGraph rewrite(MetaGraphDef metaGraph, String signatureKey, AdapterPlan plan,
      Path checkpointPrefix, GraphForms forms) {
    return rewrite(metaGraph, signatureKey, plan, checkpointPrefix, forms, true);
  }

  /**
   * As {@link #rewrite(MetaGraphDef, String, AdapterPlan, Path, UpdateForm, GemmPrecision)}; {@code packBaseWeights}
   * false keeps every frozen base weight in its own variable (see {@link PackedBaseWeights}; the outputs are the
   * same).
   */
  static AdaptedGraph rewrite(MetaGraphDef metaGraph, String signatureKey, AdapterPlan plan,
      Path checkpointPrefix, UpdateForm form, GemmPrecision precision, boolean packBaseWeights) {
    return rewrite(metaGraph, signatureKey, plan, checkpointPrefix,
        GraphForms.defaults().withUpdate(form).withPrecision(precision), packBaseWeights);
  }

  private static AdaptedGraph rewrite(MetaGraphDef metaGraph, String signatureKey, AdapterPlan plan,
      Path checkpointPrefix, GraphForms forms, boolean packBaseWeights) {
    UpdateForm form = forms.update();
    GemmPrecision precision = forms.precision();
    AttentionForm attention = forms.attention();
    if (attention == AttentionForm.FUSED && precision != GemmPrecision.BFLOAT16) {
      throw new VbLoraException("the fused attention form is written for bfloat16 products (cuDNN's fused "
          + "attention reads bfloat16), but the products are " + precision + "; use bfloat16 products or the "
          + "model's own attention");
    }
    if (form.merged() && plan.dropout() > 0) {
      String dropout = plan instanceof VbLoraPlan ? "vbloraDropout" : "loraDropout";
      throw new InvalidSettingException(List.of("updateForm", dropout), "the " + form.label() + " update form "
          + "cannot apply adapter dropout (it multiplies the adapter's input by W + delta in one product, so there is "
          + "no separate adapter input to drop), but " + dropout + " is " + plan.dropout() + "; set " + dropout
          + " to 0, or updateForm to low-rank");
    }
    SignatureDef signature = MetaGraphSignatures.require(metaGraph, signatureKey);
    String restoreOp = metaGraph.getSaverDef().getRestoreOpName();
    GraphDef base = StaleSaverScopes.drop(metaGraph.getGraphDef(),
        restoreOp.isEmpty() ? "" : StaleSaverScopes.topScope(restoreOp));
    Map<String, Kernel> applied = new HashMap<>();
    for (Kernel kernel : plan.kernels()) {
      applied.put(kernel.name(), kernel);
    }
    if (plan.kernels().stream().anyMatch(GraphRewriter::inFunctions)) {
      checkSupportedInFunctions(plan);
      ServingPathInliner.Inlined inlined = ServingPathInliner.inline(base, signature);
      base = inlined.graph();
      signature = inlined.signature();
      applied = inlinedUses(base, signature, plan);
    }
    NodeIndex index = new NodeIndex(base);
    checkSupported(index, applied.values());
    Set<String> original = new HashSet<>();
    base.getNodeList().forEach(n -> original.add(n.getName()));
    String root = freeScope(original, plan.method());

    Optional<Map<String, NodeDef>> stageable = forms.stepInputs() == StepInputs.STAGED
        ? StagedInputs.placeholders(index, signature) : Optional.empty();
    GraphDef adapter;
    Built built;
    Map<String, String> replacements = new HashMap<>();
    Map<String, String> stagedDefaults = Map.of();
    StepStaging.StagingLayout staging = null;
    try (Graph scratch = new Graph()) {
      Ops tf = Ops.create(scratch);
      AdapterInputs inputs = new AdapterInputs(tf.withSubScope("adapter_inputs"));
      Ops scope = tf.withSubScope(root);
      StepStaging steps = stageable.isPresent() ? StepStaging.create(tf, freeScope(original, "step_staging")) : null;
      if (steps != null) {
        stagedDefaults = StagedInputs.addSlots(steps, stageable.get());
      }
      Operand<TBool> training = trainingFlag(scope, steps);
      built = plan instanceof VbLoraPlan v
          ? buildVbLora(scope, inputs, index, applied, v, form, training)
          : buildLora(scope, inputs, index, applied, (LoraPlan) plan, form, training);
      staging = steps == null ? null : steps.layout();
      built.targets().forEach(t -> replacements.putAll(t.adaptedOutputs()));
      adapter = inputs.resolve(scratch.toGraphDef(), replacements);
    }
    GraphDef merged = StagedInputs.apply(ConsumerRewiring.rewire(base, original, replacements), stagedDefaults)
        .toBuilder()
        .addAllNode(adapter.getNodeList())
        .build();
    SignatureDef adaptedSignature = remapOutputs(signature, replacements);
    if (forms.tail() == TailForm.ONE_POSITION) {
      merged = OnePositionTail.rewrite(merged, outputNodes(adaptedSignature));
    }
    Set<String> names = new HashSet<>();
    merged.getNodeList().forEach(n -> names.add(n.getName()));
    String packedScope = freeScope(names, "packed_base");
    String packScope = freeScope(names, "packed_base_init");
    String restoreScope = freeScope(names, "packed_base_restore");
    String copyScope = freeScope(names, "packed_base_bfloat16");
    BaseWeightPacking.Packed packed = packBaseWeights
        ? BaseWeightPacking.pack(merged, original, outputNodes(adaptedSignature), packedScope)
        : new BaseWeightPacking.Packed(merged, PackedBaseWeights.none());
    Bfloat16BaseWeights.Copied copied = precision == GemmPrecision.BFLOAT16
        ? bfloat16(packed, inputNodes(adaptedSignature), outputNodes(adaptedSignature), attention)
        : new Bfloat16BaseWeights.Copied(packed.graph(), Map.of());
    // After the tail (whose copied products read the same weight sums) and the bfloat16 rewrite (so that the markers
    // leave its stretches as they are).
    FactoredGradients.Marked marked = form == UpdateForm.MERGED_FACTORED
        ? FactoredGradients.rewrite(copied.graph(), built.targets())
        : new FactoredGradients.Marked(copied.graph(), Map.of());
    GraphDef products = marked.graph();
    AppliedUpdateForms updateForms = AppliedUpdateForms.of(form, built.targets(), marked.unmarked());
    // Every precision: a GELU's backward pass recomputes from its input, so XLA runs each direction in one kernel.
    GraphDef recomputed = GeluRecompute.rewrite(products, inputNodes(adaptedSignature),
        outputNodes(adaptedSignature));
    GraphDef moments = forms.moments() == MomentsForm.AS_EXPORTED ? recomputed
        : OnePassMoments.rewrite(recomputed, inputNodes(adaptedSignature), outputNodes(adaptedSignature),
            forms.moments());
    // Last, so that it sees only the float32 Softmax ops the fused attention form left.
    GraphDef imported = forms.softmax() == SoftmaxForm.LOG_SUM_EXP
        ? LogSumExpSoftmax.rewrite(moments, inputNodes(adaptedSignature), outputNodes(adaptedSignature))
        : moments;
    Graph graph = new Graph();
    try {
      graph.importGraphDef(imported);
      BaseWeightOps baseWeights = new BaseWeightOps(packed.weights(),
          PackedRestore.addRestoreOp(graph, imported, metaGraph.getSaverDef(), packed.weights(), restoreScope),
          Optional.ofNullable(BaseWeightPacking.addPackOp(graph, packed.weights(), packScope)),
          Bfloat16BaseWeights.addCopyOp(graph, copied.copies(), copyScope));
      return new AdaptedGraph(graph, plan, adaptedSignature, metaGraph.getSaverDef(),
          checkpointPrefix, built.training(), built.variables(), Optional.ofNullable(built.logitsLayout()),
          built.initOp(),
          built.targets(), updateForms, baseWeights, Optional.ofNullable(staging));
    } catch (RuntimeException e) {
      graph.close();
      throw e;
    }
  }

  /**
   * The bfloat16 graph: the data path's products in bfloat16, what runs between two of them kept in bfloat16, and
   * the frozen weights the products read taken from bfloat16 copies of the packed variables, filled once per
   * restore; the attention cores in {@code attention}'s form.
   */
  private static Bfloat16BaseWeights.Copied bfloat16(BaseWeightPacking.Packed packed, List<String> inputs,
      List<String> outputs, AttentionForm attention) {
    GraphDef products = Bfloat16Gemms.rewrite(packed.graph(), inputs);
    GraphDef cores = products;
    if (attention == AttentionForm.FUSED) {
      cores = FusedAttention.rewrite(products, outputs);
      if (cores == products) { // the same graph back: no core matched, and asking for the form would do nothing
        throw new VbLoraException("fused attention was asked for, but this model has no attention core of the form "
            + "it rewrites (a BatchMatMul of queries and keys, optionally scaled and masked, a Softmax, a BatchMatMul "
            + "with the values; Einsum-based attention such as Keras' MultiHeadAttention is not); train without "
            + "fused attention");
      }
    }
    GraphDef stretches = Bfloat16Regions.rewrite(cores, outputs);
    return Bfloat16BaseWeights.copy(stretches, packed.weights(), outputs);
  }

  /** {@code vblora}, or {@code vblora_1}, ... when the model already has a scope of that name. */
  private static String freeScope(Set<String> names, String method) {
    for (int i = 0; ; i++) {
      String candidate = i == 0 ? method : method + "_" + i;
      if (names.stream().noneMatch(n -> n.equals(candidate) || n.startsWith(candidate + "/"))) {
        return candidate;
      }
    }
  }

  /**
   * What the adapter added to the scratch graph, by name (the names survive the re-import).
   *
   * @param logitsLayout where each kernel's logits lie (VB-LoRA), or null (LoRA)
   */
  private record Built(String training, List<AdapterVariable> variables, PackedLogitsLayout logitsLayout,
      String initOp, List<AdaptedTarget> targets) {}

  private static Built buildVbLora(Ops root, AdapterInputs inputs, NodeIndex index, Map<String, Kernel> applied,
      VbLoraPlan plan, UpdateForm form, Operand<TBool> training) {
    VbLoraConfig config = plan.config();
    VbLoraDims dims = new VbLoraDims(config.numVectors(), config.vectorLength(), config.rank(), config.topk());
    ScopeTree scopes = new ScopeTree(root);
    AdapterDropout dropout = dropout(config.dropout(), training, config.seed());

    Operand<TFloat32> bankInit = config.initVectorBankBound() > 0
        ? VbLoraInit.bank(root, dims, config.initVectorBankBound(), config.seed(), TFloat32.class)
        : root.zeros(root.constant(dims.bankShape()), TFloat32.class);
    AdapterVariableOps bank = AdapterVariableOps.create(root, "vector_bank", bankInit);
    List<AdapterVariableOps> created = new ArrayList<>(List.of(bank));
    List<AdapterVariable> variables = new ArrayList<>(List.of(bank.describe(AdapterVariable.BANK, "")));
    // One logits_A and one logits_B variable for all kernels (see PackedLogitsLayout), initialised to each
    // kernel's own seeded logits packed in plan order: every initial value is the kernel's, wherever it lies.
    List<LayerShape> shapes = new ArrayList<>();
    List<Operand<TFloat32>> initialA = new ArrayList<>();
    List<Operand<TFloat32>> initialB = new ArrayList<>();
    for (VbLoraTarget target : plan.targets()) {
      Kernel kernel = target.kernel();
      LayerShape shape = layerShape(kernel);
      Ops scope = scopes.at(kernel.modulePath());
      shapes.add(shape);
      initialA.add(config.initLogitsStd() > 0
          ? VbLoraInit.logitsA(scope, shape, dims, config.initLogitsStd(), config.seed(), TFloat32.class)
          : scope.zeros(scope.constant(dims.logitsAShape(shape)), TFloat32.class));
      initialB.add(config.initLogitsStd() > 0
          ? VbLoraInit.logitsB(scope, shape, dims, config.initLogitsStd(), config.seed(), TFloat32.class)
          : scope.zeros(scope.constant(dims.logitsBShape(shape)), TFloat32.class));
    }
    AdapterVariableOps a = AdapterVariableOps.create(root, "logits_A", packed(root, "logits_A_packing", initialA, 1));
    AdapterVariableOps b = AdapterVariableOps.create(root, "logits_B", packed(root, "logits_B_packing", initialB, 0));
    created.addAll(List.of(a, b));
    variables.add(a.describe(AdapterVariable.LOGITS, ""));
    variables.add(b.describe(AdapterVariable.LOGITS, ""));
    PackedLogitsLayout layout = PackedLogitsLayout.of(a.variable().name(), b.variable().name(), shapes,
        dims.vectorLength());
    // One composition for all layers: one top-k, one gather, one weighted sum (see FusedFactorComposition).
    List<LowRankFactors<TFloat32>> factors = FusedFactorComposition.composePacked(
        root.withSubScope("composition"), bank.read(), a.read(), b.read(), shapes, dims);
    List<Operand<TFloat32>> deltas = DeltaWeight.ofAll(root, factors, 1.0);
    List<AdaptedTarget> targets = new ArrayList<>();
    for (int i = 0; i < plan.targets().size(); i++) {
      Kernel kernel = applied.get(plan.targets().get(i).kernel().name());
      targets.add(splice(scopes.at(kernel.modulePath()), inputs, index, kernel, factors.get(i), deltas.get(i), 1.0,
          dropout, form));
    }
    return new Built(AdapterVariableOps.tensorName(training), variables, layout, initOp(root, created), targets);
  }

  /** The kernels' initial logits side by side along {@code axis}; ConcatV2 needs two inputs, one passes through. */
  private static Operand<TFloat32> packed(Ops root, String name, List<Operand<TFloat32>> values, int axis) {
    return values.size() == 1 ? values.get(0) : root.withName(name).concat(values, root.constant(axis));
  }

  private static Built buildLora(Ops root, AdapterInputs inputs, NodeIndex index, Map<String, Kernel> applied,
      LoraPlan plan, UpdateForm form, Operand<TBool> training) {
    LoraConfig config = plan.config();
    LoraDims dims = new LoraDims(config.rank(), config.alpha());
    ScopeTree scopes = new ScopeTree(root);
    AdapterDropout dropout = dropout(config.dropout(), training, config.seed());
    List<AdapterVariableOps> created = new ArrayList<>();
    List<AdapterVariable> variables = new ArrayList<>();
    List<LowRankFactors<TFloat32>> factors = new ArrayList<>();
    for (LoraTarget target : plan.targets()) {
      Kernel kernel = target.kernel();
      LayerShape shape = layerShape(kernel);
      Ops scope = scopes.at(kernel.modulePath());
      AdapterVariableOps down = AdapterVariableOps.create(scope, "down",
          LoraFactorsInit.down(scope, shape, dims, config.seed(), TFloat32.class));
      AdapterVariableOps up = AdapterVariableOps.create(scope, "up",
          LoraFactorsInit.up(scope, shape, dims, TFloat32.class));
      created.addAll(List.of(down, up));
      variables.add(down.describe(AdapterVariable.LORA_DOWN, kernel.name()));
      variables.add(up.describe(AdapterVariable.LORA_UP, kernel.name()));
      factors.add(new LowRankFactors<>(down.read(), up.read()));
    }
    List<Operand<TFloat32>> deltas = DeltaWeight.ofAll(root, factors, dims.scaling());
    List<AdaptedTarget> targets = new ArrayList<>();
    for (int i = 0; i < plan.targets().size(); i++) {
      Kernel kernel = applied.get(plan.targets().get(i).kernel().name());
      targets.add(splice(scopes.at(kernel.modulePath()), inputs, index, kernel, factors.get(i), deltas.get(i),
          dims.scaling(), dropout, form));
    }
    return new Built(AdapterVariableOps.tensorName(training), variables, null, initOp(root, created), targets);
  }

  /**
   * Names the dense delta s * down @ up (for merging, and the merged form's forward pass) and adds, for every use
   * of {@code kernel}, the adapted output: MatMul + low-rank update, or the use's MatMul re-done on W + delta
   * with its own transpose flags (the delta is in the variable's layout, which every use reads).
   */
  private static AdaptedTarget splice(Ops scope, AdapterInputs inputs, NodeIndex index, Kernel kernel,
      LowRankFactors<TFloat32> factors, Operand<TFloat32> delta, double scaling, AdapterDropout dropout,
      UpdateForm form) {
    if (kernel.uses().get(0).transposeWeight()) {
      delta = scope.linalg.transpose(delta, scope.constant(new int[] {1, 0}));
    }
    delta = scope.withName("delta_weight").identity(delta);
    Map<String, String> adapted = new LinkedHashMap<>();
    for (KernelUse use : kernel.uses()) {
      NodeDef node = index.node(use.node());
      String activation = index.input(node, 0).toString();
      if (use.op().equals("Einsum")) {
        adapted.put(use.node(), AdapterVariableOps.tensorName(
            spliceEinsum(scope, inputs, kernel, activation, use.node() + ":0", factors, scaling, dropout)));
        continue;
      }
      // Checked MatMuls only: 2-D activations, [n, in] or (transpose_a) [in, n].
      Operand<TFloat32> x = inputs.activation(activation, use.transposeActivation()
          ? Shape.of(kernel.inFeatures(), -1) : Shape.of(-1, kernel.inFeatures()));
      if (form.merged()) {
        Shape weightShape = use.transposeWeight()
            ? Shape.of(kernel.outFeatures(), kernel.inFeatures()) : Shape.of(kernel.inFeatures(), kernel.outFeatures());
        Operand<TFloat32> weight = inputs.standIn(index.input(node, 1).toString(), weightShape);
        Operand<TFloat32> y = scope.withSubScope("merged_update").linalg.matMul(x, scope.math.add(weight, delta),
            MatMul.transposeA(use.transposeActivation()), MatMul.transposeB(use.transposeWeight()));
        adapted.put(use.node(), AdapterVariableOps.tensorName(y));
        continue;
      }
      if (use.transposeActivation()) {
        x = scope.linalg.transpose(x, scope.constant(new int[] {1, 0}));
      }
      Operand<TFloat32> baseOutput = inputs.standIn(use.node() + ":0", Shape.of(-1, kernel.outFeatures()));
      Operand<TFloat32> y = LowRankUpdate.apply(scope, x, baseOutput, factors, scaling, dropout);
      adapted.put(use.node(), AdapterVariableOps.tensorName(y));
    }
    return new AdaptedTarget(kernel, AdapterVariableOps.tensorName(factors.down()),
        AdapterVariableOps.tensorName(factors.up()), scaling, AdapterVariableOps.tensorName(delta), adapted);
  }

  /**
   * A matmul-like Einsum ({@link EinsumLayout#matmulLike}) plus its update: activation and output flattened to
   * [-1, d_in] / [-1, d_out], updated as a MatMul would be, and reshaped back to the Einsum's output shape.
   */
  private static Operand<TFloat32> spliceEinsum(Ops scope, AdapterInputs inputs, Kernel kernel, String activation,
      String output, LowRankFactors<TFloat32> factors, double scaling, AdapterDropout dropout) {
    Operand<TFloat32> x = inputs.activation(activation, Shape.unknown());
    Operand<TFloat32> y = inputs.standIn(output, Shape.unknown());
    Operand<TFloat32> rows = scope.reshape(x, scope.constant(new long[] {-1, kernel.inFeatures()}));
    Operand<TFloat32> base = scope.reshape(y, scope.constant(new long[] {-1, kernel.outFeatures()}));
    Operand<TFloat32> updated = LowRankUpdate.apply(scope, rows, base, factors, scaling, dropout);
    return scope.reshape(updated, scope.shape(y));
  }

  /**
   * False unless fed: serving and evaluation need no feed, a training step feeds true (adapter dropout). With
   * staged steps its default is the staged row instead, and predictions feed false.
   */
  private static Operand<TBool> trainingFlag(Ops root, StepStaging staging) {
    return staging == null
        ? root.withName(FedValues.TRAINING).placeholderWithDefault(root.constant(false), Shape.scalar())
        : staging.placeholder(root.withName(FedValues.TRAINING), FedValues.TRAINING, TBool.class, Shape.scalar());
  }

  private static AdapterDropout dropout(double rate, Operand<TBool> training, long seed) {
    return rate > 0 ? AdapterDropout.of(rate, training, seed) : AdapterDropout.none();
  }

  private static String initOp(Ops root, List<AdapterVariableOps> variables) {
    List<Op> assigns = new ArrayList<>();
    variables.forEach(v -> assigns.add(v.assign()));
    return root.withName("init").withControlDependencies(assigns).noOp().op().name();
  }

  private static LayerShape layerShape(Kernel kernel) {
    return new LayerShape(kernel.name(), Math.toIntExact(kernel.inFeatures()), Math.toIntExact(kernel.outFeatures()));
  }

  private static boolean inFunctions(Kernel kernel) {
    return kernel.uses().stream().anyMatch(u -> !u.function().isEmpty());
  }

  /**
   * Kernels applied inside functions (TF2 exports) are spliced after the serving path is inlined into the main
   * graph; that covers plain MatMuls (Dense layers) and matmul-like Einsums (EinsumDense, MultiHeadAttention
   * projections), not batched matmuls.
   */
  private static void checkSupportedInFunctions(AdapterPlan plan) {
    for (Kernel kernel : plan.kernels()) {
      for (KernelUse use : kernel.uses()) {
        if (!use.function().isEmpty() && !spliceable(use)) {
          throw new VbLoraException("kernel " + kernel.name() + " is applied by " + use.node() + " ("
              + use.layout() + ") inside function " + use.function() + "; in TF2 exports only kernels applied"
              + " by a plain 2-D MatMul (Dense layers) or a matmul-like Einsum (kernel second, its input letters"
              + " trailing the activation's, e.g. abc,cde->abde) can be adapted; leave it out of the targets");
        }
      }
    }
  }

  private static boolean spliceable(KernelUse use) {
    return use.op().equals("MatMul") && use.weightInput() == 1
        || use.op().equals("Einsum") && EinsumLayout.matmulLike(use.equation(), use.weightInput());
  }

  /** The plan's kernels as the inlined graph applies them (same variables, main-graph MatMul nodes). */
  private static Map<String, Kernel> inlinedUses(GraphDef inlined, SignatureDef signature, AdapterPlan plan) {
    Map<String, Kernel> found = new HashMap<>();
    KernelDiscovery.discover(inlined, signature).forEach(k -> found.put(k.name(), k));
    Map<String, Kernel> applied = new HashMap<>();
    for (Kernel kernel : plan.kernels()) {
      Kernel inlinedKernel = found.get(kernel.name());
      if (inlinedKernel == null || inlinedKernel.uses().size() != kernel.uses().size()) {
        throw new IllegalStateException("kernel " + kernel.name() + " is applied by " + kernel.uses().size()
            + " op(s) on the serving path but by " + (inlinedKernel == null ? 0 : inlinedKernel.uses().size())
            + " once the serving functions are inlined; the model's call structure is not supported");
      }
      applied.put(kernel.name(), inlinedKernel);
    }
    return applied;
  }

  /** Only float32 2-D MatMuls and matmul-like Einsums are spliced; anything else is refused up front. */
  private static void checkSupported(NodeIndex index, Collection<Kernel> kernels) {
    for (Kernel kernel : kernels) {
      for (KernelUse use : kernel.uses()) {
        NodeDef node = index.contains(use.node()) ? index.node(use.node()) : null;
        if (node == null || !node.getOp().equals(use.op()) || !spliceable(use)) {
          throw new VbLoraException("kernel " + kernel.name() + " is applied by " + use.node() + " ("
              + use.layout() + "), which the rewrite cannot adapt yet; leave it out of the targets");
        }
        DataType type = node.getAttrOrThrow("T").getType();
        if (type != DataType.DT_FLOAT) {
          throw new VbLoraException("kernel " + kernel.name() + " is applied in " + type
              + "; only float32 models can be adapted");
        }
      }
    }
  }

  private static List<String> inputNodes(SignatureDef signature) {
    return signature.getInputsMap().values().stream().map(info -> TensorName.parse(info.getName()).node()).toList();
  }

  private static List<String> outputNodes(SignatureDef signature) {
    return signature.getOutputsMap().values().stream().map(info -> TensorName.parse(info.getName()).node()).toList();
  }

  /** A signature output that was itself an adapted op now reads the adapted tensor. */
  static SignatureDef remapOutputs(SignatureDef signature, Map<String, String> replacements) {
    SignatureDef.Builder out = signature.toBuilder();
    signature.getOutputsMap().forEach((key, info) -> {
      TensorName name = TensorName.parse(info.getName());
      String replacement = replacements.get(name.node());
      if (replacement != null && name.index() == 0) {
        out.putOutputs(key, info.toBuilder().setName(replacement).build());
      }
    });
    return out.build();
  }
}
