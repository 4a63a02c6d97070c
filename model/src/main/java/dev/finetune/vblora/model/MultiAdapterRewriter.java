package dev.finetune.vblora.model;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.AssertThat;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.train.BatchMatMul;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorShapeProto;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TString;

/**
 * Splices several adapters into one serving graph, each example choosing its own ({@link StackedAdapters}): next
 * to every adapted MatMul or Einsum the update y = xW + (x A_e^T) B_e is added in low-rank form, with A_e and B_e
 * gathered for each example e from the stacked tables (VB-LoRA: its top-k indices and weights gathered, and its
 * factors composed from the bank for that example only) and applied by batched matmuls. The cost per example is
 * one adapter's, however many adapters the model holds; the base weights are read once.
 *
 * <p>The choice enters by name (a string per example, looked up in the graph's constant name list; an unknown
 * name fails the request through an Assert that prints it) or by index (an int per example, which then skips
 * the lookup). The splice itself works as in {@link GraphRewriter}: built in a graph of its own with stand-ins
 * for the base tensors, added to the base GraphDef, consumers re-pointed; TF2 function graphs are inlined first.
 */
public final class MultiAdapterRewriter {
  /** The signature input that chooses each example's adapter by name. */
  public static final String ADAPTER_INPUT = "adapter";
  /** The signature input that chooses each example's adapter by slot index. */
  public static final String ADAPTER_INDEX_INPUT = "adapter_index";

  private MultiAdapterRewriter() {}

  /**
   * The rewritten graph (saver and variables untouched: the base checkpoint serves it as it is) and its two
   * signatures, the base signature's inputs plus {@link #ADAPTER_INPUT} or {@link #ADAPTER_INDEX_INPUT}.
   *
   * @param choice the tensor holding each example's validated slot index, [batch] int32 (heads gather by it)
   */
  public record Rewritten(GraphDef graph, SignatureDef byName, SignatureDef byIndex, String choice) {}

  /**
   * Adds every kernel update of {@code adapters} to the serving path of {@code signatureKey}.
   *
   * @throws IllegalArgumentException when a kernel of {@code adapters} is not applied on that path, or is applied
   *     in a way the splice cannot handle
   */
  public static Rewritten rewrite(MetaGraphDef metaGraph, String signatureKey, StackedAdapters adapters) {
    ServingPath.Inlined serving = ServingPath.of(metaGraph, signatureKey);
    GraphDef base = serving.graph();
    Map<String, Kernel> found = new HashMap<>();
    KernelDiscovery.discover(base, serving.signature()).forEach(k -> found.put(k.variable(), k));
    NodeIndex index = new NodeIndex(base);
    for (String name : adapters.kernels().keySet()) {
      Kernel kernel = found.get(name);
      if (kernel == null) {
        throw new VbLoraException("the model applies no kernel variable " + name + " on the serving path of '"
            + signatureKey + "'; the adapters were made for another model");
      }
      checkSupported(index, kernel);
    }
    Set<String> original = new HashSet<>();
    base.getNodeList().forEach(n -> original.add(n.getName()));
    String root = freeScope(original, "vblora_multi");
    GraphDef added;
    Map<String, String> replacements = new HashMap<>();
    String choiceName;
    String namesInput;
    String indexInput;
    try (Graph scratch = new Graph()) {
      Ops tf = Ops.create(scratch).withSubScope(root);
      AdapterInputs inputs = new AdapterInputs(Ops.create(scratch).withSubScope(root + "_inputs"));
      Choice choice = choice(tf, adapters);
      SubVectorTable table = SubVectorTable.of(adapters);
      Operand<TFloat32> subVectors = table == null ? null
          : composed(tf.withSubScope("compose"), bank(tf, adapters), choice.index(), table);
      Operand<TInt32> batch = tf.withName("batch").expandDims(tf.size(choice.index()), tf.constant(0));
      int k = 0;
      for (Map.Entry<String, StackedAdapters.KernelSlots> e : adapters.kernels().entrySet()) {
        Kernel kernel = found.get(e.getKey());
        Ops scope = tf.withSubScope("kernel_" + k++);
        Factors factors = factors(scope, e.getValue(), subVectors,
            table == null ? null : table.offsets().get(e.getKey()), choice.index(), adapters.vectorLength());
        for (KernelUse use : kernel.uses()) {
          String activation = index.input(index.node(use.node()), 0).toString();
          Operand<TFloat32> y = perExampleUpdate(scope, inputs.activation(activation, Shape.unknown()),
              inputs.standIn(use.node() + ":0", Shape.unknown()), factors, batch, kernel, use);
          replacements.put(use.node(), AdapterVariableOps.tensorName(y));
        }
      }
      choiceName = AdapterVariableOps.tensorName(choice.index());
      namesInput = AdapterVariableOps.tensorName(choice.names());
      indexInput = AdapterVariableOps.tensorName(choice.indexInput());
      added = inputs.resolve(scratch.toGraphDef(), replacements);
    }
    GraphDef graph = ConsumerRewiring.rewire(base, original, replacements).toBuilder()
        .addAllNode(added.getNodeList()).build();
    SignatureDef outputs = GraphRewriter.remapOutputs(serving.signature(), replacements);
    return new Rewritten(graph, withInput(outputs, ADAPTER_INPUT, namesInput, DataType.DT_STRING),
        withInput(outputs, ADAPTER_INDEX_INPUT, indexInput, DataType.DT_INT32), choiceName);
  }

  /** The per-example slot: from the names input (checked against the list) unless the index input is fed. */
  private record Choice(Operand<TString> names, Operand<TInt32> indexInput, Operand<TInt32> index) {}

  private static Choice choice(Ops tf, StackedAdapters adapters) {
    List<String> all = new ArrayList<>(adapters.names());
    all.add(StackedAdapters.BASE);
    Operand<TString> names = tf.withName(ADAPTER_INPUT).placeholder(TString.class,
        Placeholder.shape(Shape.of(-1)));
    Operand<TString> table = tf.withName("adapter_names").constant(StdArrays.ndCopyOf(all.toArray(String[]::new)));
    Operand<TBool> matches = tf.math.equal(tf.expandDims(names, tf.constant(1)),
        tf.expandDims(table, tf.constant(0)));
    Operand<TBool> known = tf.reduceAny(matches, tf.constant(1));
    AssertThat nameCheck = tf.withName("unknown_adapter").assertThat(tf.reduceAll(known, tf.constant(0)),
        List.of(tf.constant("unknown adapter name(s) in the request; this model serves " + String.join(", ", all)
            + ". Unknown:"), tf.gatherNd(names, tf.where(tf.math.logicalNot(known)))), AssertThat.summarize(20L));
    Operand<TInt32> byName = tf.withControlDependencies(List.of(nameCheck)).identity(
        tf.math.argMax(tf.dtypes.cast(matches, TInt32.class), tf.constant(1), TInt32.class));
    Operand<TInt32> indexInput = tf.withName(ADAPTER_INDEX_INPUT).placeholderWithDefault(byName, Shape.of(-1));
    Operand<TBool> inRange = tf.math.logicalAnd(tf.math.greaterEqual(indexInput, tf.constant(0)),
        tf.math.less(indexInput, tf.constant(all.size())));
    AssertThat indexCheck = tf.withName("adapter_index_out_of_range").assertThat(
        tf.reduceAll(inRange, tf.constant(0)),
        List.of(tf.constant("adapter_index must be in [0, " + (all.size() - 1) + "] (" + String.join(", ", all)
            + "). Out of range:"), tf.gatherNd(indexInput, tf.where(tf.math.logicalNot(inRange)))),
        AssertThat.summarize(20L));
    Operand<TInt32> index = tf.withName("choice").withControlDependencies(List.of(indexCheck))
        .identity(indexInput);
    return new Choice(names, indexInput, index);
  }

  /** The stacked VB-LoRA bank as float32 (cast from float16 when stored so), or null without VB-LoRA slots. */
  private static Operand<TFloat32> bank(Ops tf, StackedAdapters adapters) {
    if (adapters.bankVectors() == 0) {
      return null;
    }
    Shape shape = Shape.of(adapters.bankVectors(), adapters.vectorLength());
    if (!adapters.halfPrecisionBank()) {
      return tf.withName("bank").constant(shape, DataBuffers.of(adapters.bank(), true, false));
    }
    try (TFloat16 half = TFloat16.tensorOf(shape, DataBuffers.of(adapters.bank(), true, false))) {
      return tf.withName("bank").dtypes.cast(tf.withName("bank_f16").constantOf(half), TFloat32.class);
    }
  }

  /** Each example's factors: A [batch, r, in] and B [batch, r, out], VB-LoRA and LoRA side by side along r. */
  private record Factors(Operand<TFloat32> down, Operand<TFloat32> up) {}

  private static Factors factors(Ops tf, StackedAdapters.KernelSlots slots, Operand<TFloat32> subVectors,
      int[] offsets, Operand<TInt32> choice, int vectorLength) {
    List<Operand<TFloat32>> down = new ArrayList<>();
    List<Operand<TFloat32>> up = new ArrayList<>();
    slots.vbLora().ifPresent(v -> {
      Ops scope = tf.withSubScope("vblora");
      down.add(factor(scope, subVectors, offsets[0], v.rank(), v.tilesIn(), vectorLength));
      up.add(factor(scope, subVectors, offsets[1], v.rank(), v.tilesOut(), vectorLength));
    });
    slots.lora().ifPresent(l -> {
      Ops scope = tf.withSubScope("lora");
      down.add(scope.gather(scope.constant(Shape.of(l.slots(), l.rank(), l.in()),
          DataBuffers.of(l.down(), true, false)), choice, scope.constant(0)));
      up.add(scope.gather(scope.constant(Shape.of(l.slots(), l.rank(), l.out()),
          DataBuffers.of(l.up(), true, false)), choice, scope.constant(0)));
    });
    return new Factors(concat(tf, down), concat(tf, up));
  }

  /** One factor of every example, [batch, rank, tiles * b]: its rows of the composed sub-vectors, reshaped. */
  private static Operand<TFloat32> factor(Ops tf, Operand<TFloat32> subVectors, int first, int rank, int tiles,
      int vectorLength) {
    Operand<TFloat32> rows = tf.slice(subVectors, tf.constant(new int[] {0, first, 0}),
        tf.constant(new int[] {-1, rank * tiles, -1}));
    return tf.reshape(rows, tf.constant(new long[] {-1, rank, (long) tiles * vectorLength}));
  }

  /**
   * Every kernel's sub-vectors for each example at once, [batch, rows, b]: the example's slot's top-k indices
   * and weights gathered from the table, the chosen bank rows gathered, and their weighted sum.
   */
  private static Operand<TFloat32> composed(Ops tf, Operand<TFloat32> bank, Operand<TInt32> choice,
      SubVectorTable table) {
    Shape shape = Shape.of(table.slots(), table.rows(), table.topk());
    Operand<TInt32> chosen = tf.gather(tf.withName("indices").constant(shape,
        DataBuffers.of(table.indices(), true, false)), choice, tf.constant(0));
    Operand<TFloat32> mix = tf.gather(tf.withName("weights").constant(shape,
        DataBuffers.of(table.weights(), true, false)), choice, tf.constant(0));
    Operand<TFloat32> vectors = tf.gather(bank, chosen, tf.constant(0)); // [batch, rows, k, b]
    return tf.reduceSum(tf.math.mul(vectors, tf.expandDims(mix, tf.constant(-1))), tf.constant(2));
  }

  private static Operand<TFloat32> concat(Ops tf, List<Operand<TFloat32>> parts) {
    return parts.size() == 1 ? parts.get(0) : tf.concat(parts, tf.constant(1));
  }

  /**
   * y + (x A_e^T) B_e with the rows of x and y grouped by example: [rows, in] (or an Einsum's [batch, ..., in])
   * seen as [batch, rows per example, in], which holds because every activation on a transformer's or an MLP's
   * serving path is example-major. Two batched matmuls; a MatMul's [rows, out] result needs no shape op.
   */
  private static Operand<TFloat32> perExampleUpdate(Ops tf, Operand<TFloat32> x, Operand<TFloat32> y,
      Factors factors, Operand<TInt32> batch, Kernel kernel, KernelUse use) {
    Operand<TFloat32> rows = tf.reshape(x, tf.concat(List.of(batch, tf.constant(new int[] {-1,
        Math.toIntExact(kernel.inFeatures())})), tf.constant(0)));
    Operand<TFloat32> low = tf.train.batchMatMul(rows, factors.down(), TFloat32.class, BatchMatMul.adjY(true));
    Operand<TFloat32> update = tf.train.batchMatMul(low, factors.up(), TFloat32.class);
    Operand<TInt32> shape = use.op().equals("MatMul")
        ? tf.constant(new int[] {-1, Math.toIntExact(kernel.outFeatures())}) : tf.shape(y);
    return tf.math.add(y, tf.reshape(update, shape));
  }

  private static void checkSupported(NodeIndex index, Kernel kernel) {
    for (KernelUse use : kernel.uses()) {
      NodeDef node = index.contains(use.node()) ? index.node(use.node()) : null;
      boolean matmul = use.op().equals("MatMul") && use.weightInput() == 1 && !use.transposeActivation();
      boolean einsum = use.op().equals("Einsum") && EinsumLayout.matmulLike(use.equation(), use.weightInput());
      if (node == null || !(matmul || einsum) || node.getAttrOrThrow("T").getType() != DataType.DT_FLOAT) {
        throw new VbLoraException("kernel " + kernel.name() + " is applied by " + use.node() + " ("
            + use.layout() + "), which a multi-adapter model cannot adapt (float32 MatMul x W or a matmul-like"
            + " Einsum only); leave it out of the adapters' targets");
      }
    }
  }

  private static String freeScope(Set<String> names, String scope) {
    for (int i = 0; ; i++) {
      String candidate = i == 0 ? scope : scope + "_" + i;
      if (names.stream().noneMatch(n -> n.equals(candidate) || n.startsWith(candidate + "/"))) {
        return candidate;
      }
    }
  }

  private static SignatureDef withInput(SignatureDef signature, String key, String tensor, DataType type) {
    if (signature.getInputsMap().containsKey(key)) {
      throw new VbLoraException("the model's signature already has an input '" + key
          + "'; a multi-adapter model adds one of that name");
    }
    Map<String, TensorInfo> inputs = new LinkedHashMap<>(signature.getInputsMap());
    inputs.put(key, TensorInfo.newBuilder().setName(tensor).setDtype(type)
        .setTensorShape(TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dim.newBuilder().setSize(-1)))
        .build());
    return signature.toBuilder().clearInputs().putAllInputs(inputs).build();
  }
}
