package dev.finetune.vblora.model;

import com.google.protobuf.ByteString;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.DestroyResourceOp;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorShapeProto;
import org.tensorflow.types.family.TType;

/**
 * Puts the frozen base weights that a graph's serving path reads into packed variables, one per (element type,
 * shape) with two or more members (see {@link PackedBaseWeights}), and builds the op that fills them.
 *
 * <p>Only plain main-graph reads are rewritten: a ReadVariableOp of a base VarHandleOp (directly or through
 * Identity ops, as in a TF2 export's inlined functions) on the serving path becomes, under its own name (so every
 * consumer, control edges included, follows), a slice of row i of one read of the packed variable. A variable
 * whose handle the serving path also uses otherwise (a ResourceGather, a function call left in place) keeps its
 * own variable, as do types the optimizer does not know and shapes that are not fully known, and vectors that
 * are not biases (see {@link #rowReadInPlace}).
 */
final class BaseWeightPacking {
  private static final String READ = "ReadVariableOp";
  private static final String VAR_HANDLE = "VarHandleOp";
  private static final String IDENTITY = "Identity";
  /** Ops that add a vector to a tensor, and whose gradient does not read that vector. */
  private static final Set<String> ADDITIONS = Set.of("BiasAdd", "Add", "AddV2");

  private BaseWeightPacking() {}

  /** The graph with the packed reads, and which variables they pack. */
  record Packed(GraphDef graph, PackedBaseWeights weights) {}

  /**
   * Packs the base variables read on the path to {@code outputs}.
   *
   * @param baseVariables the names of the nodes the model itself brought (its VarHandleOps are the base weights)
   * @param outputs the nodes whose values the training step and predictions need
   * @param scope a top-level scope free in {@code graph}, for the packed variables and their reads
   */
  static Packed pack(GraphDef graph, Set<String> baseVariables, Collection<String> outputs, String scope) {
    NodeIndex index = new NodeIndex(graph);
    // Control edges too: a read the outputs wait for must not be left reading a member that is never filled.
    Set<String> servingPath = index.runClosure(outputs);
    Map<String, List<String>> reads = packableReads(index, servingPath, baseVariables);
    Map<String, List<String>> byKind = new LinkedHashMap<>();
    reads.keySet().forEach(v -> byKind.computeIfAbsent(kind(index.node(v)), k -> new ArrayList<>()).add(v));

    List<BaseWeightGroup> groups = new ArrayList<>();
    Map<String, NodeDef> replaced = new HashMap<>();
    List<NodeDef> added = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (Map.Entry<String, List<String>> kind : byKind.entrySet()) {
      if (kind.getValue().size() < 2) {
        continue;
      }
      String variable = OpNames.unique(scope + "/" + kind.getKey(), names);
      NodeDef first = index.node(kind.getValue().get(0));
      BaseWeightGroup group = new BaseWeightGroup(variable, ElementType.of(dtype(first)), dims(first),
          kind.getValue());
      groups.add(group);
      added.addAll(packedVariable(group));
      for (String member : group.members()) {
        int row = group.row(member);
        added.add(int32Const(variable + "/row_" + row + "/begin", row));
        added.add(int32Const(variable + "/row_" + row + "/end", row + 1));
        for (String read : reads.get(member)) {
          replaced.put(read, rowSlice(index.node(read), group, row));
        }
      }
    }
    if (groups.isEmpty()) {
      return new Packed(graph, PackedBaseWeights.none());
    }
    return new Packed(replaceAndAdd(graph, replaced, added), new PackedBaseWeights(groups));
  }

  /**
   * Base variable to its ReadVariableOps on the serving path, for variables that the serving path uses only
   * through such reads, in graph order. The handle may pass through Identity ops first: a TF2 export's inlined
   * functions receive it that way.
   */
  private static Map<String, List<String>> packableReads(NodeIndex index, Set<String> servingPath,
      Set<String> baseVariables) {
    Map<String, List<String>> reads = new LinkedHashMap<>();
    for (NodeDef node : index.nodes()) {
      if (!node.getOp().equals(VAR_HANDLE) || !baseVariables.contains(node.getName()) || !packableKind(node)) {
        continue;
      }
      List<String> own = new ArrayList<>();
      boolean onlyReads = true;
      Deque<String> handles = new ArrayDeque<>(List.of(node.getName()));
      while (!handles.isEmpty()) {
        String handle = handles.pop();
        for (String consumer : index.consumers(handle)) {
          if (!servingPath.contains(consumer)) {
            continue;
          }
          NodeDef use = index.node(consumer);
          if (use.getOp().equals(IDENTITY)) {
            handles.push(consumer);
            continue;
          }
          onlyReads &= use.getOp().equals(READ) && index.input(use, 0).node().equals(handle)
              && use.getInputList().stream().filter(i -> !i.startsWith("^")).count() == 1;
          own.add(consumer);
        }
      }
      if (onlyReads && !own.isEmpty() && rowReadInPlace(index, node, own)) {
        reads.put(node.getName(), own.stream().distinct().toList());
      }
    }
    return reads;
  }

  /**
   * Whether XLA reads the variable's row of the packed variable in place. A row slice that one fused kernel
   * reads is folded into it; one that several kernels read is first copied out by a kernel of its own, on
   * every step. Biases are read once: by their addition, whose gradient does not read them. A LayerNorm's scale
   * and offset are read several times (the backward pass reads the scale again, and a bfloat16 graph reads both
   * into the float32 residual and the bfloat16 input of the next product): packed, they cost BERT-base's
   * bfloat16 step 48 copy kernels (docs/benchmarks.md, issue 16), so vectors other than biases keep their own
   * variables. Matrices are packed whatever reads them: products read their rows in place.
   */
  private static boolean rowReadInPlace(NodeIndex index, NodeDef variable, List<String> reads) {
    if (dims(variable).length != 1) {
      return true;
    }
    Deque<String> values = new ArrayDeque<>(reads);
    while (!values.isEmpty()) {
      for (String consumer : index.consumers(values.pop())) {
        String op = index.node(consumer).getOp();
        if (op.equals(IDENTITY)) {
          values.push(consumer);
        } else if (!ADDITIONS.contains(op)) {
          return false;
        }
      }
    }
    return true;
  }

  private static boolean packableKind(NodeDef variable) {
    DataType type = dtype(variable);
    if (type != DataType.DT_FLOAT && type != DataType.DT_DOUBLE) {
      return false;
    }
    TensorShapeProto shape = variable.getAttrOrThrow("shape").getShape();
    return !shape.getUnknownRank() && shape.getDimList().stream().allMatch(d -> d.getSize() >= 0);
  }

  /** e.g. {@code f32_768x768}, {@code f32_scalar}: a group's key and its packed variable's name. */
  private static String kind(NodeDef variable) {
    long[] dims = dims(variable);
    String shape = dims.length == 0 ? "scalar"
        : Arrays.stream(dims).mapToObj(Long::toString).collect(Collectors.joining("x"));
    return ElementType.of(dtype(variable)).name().toLowerCase() + "_" + shape;
  }

  private static DataType dtype(NodeDef node) {
    return node.getAttrOrThrow("dtype").getType();
  }

  private static long[] dims(NodeDef variable) {
    return variable.getAttrOrThrow("shape").getShape().getDimList().stream()
        .mapToLong(TensorShapeProto.Dim::getSize).toArray();
  }

  /** {@code graph} with each node named in {@code replaced} swapped in place for its new one, then {@code added}. */
  static GraphDef replaceAndAdd(GraphDef graph, Map<String, NodeDef> replaced, List<NodeDef> added) {
    GraphDef.Builder out = graph.toBuilder();
    for (int i = 0; i < out.getNodeCount(); i++) {
      NodeDef node = replaced.get(out.getNode(i).getName());
      if (node != null) {
        out.setNode(i, node);
      }
    }
    return out.addAllNode(added).build();
  }

  /** The packed VarHandleOp and its one read, and the stride its row slices share. */
  private static List<NodeDef> packedVariable(BaseWeightGroup group) {
    List<NodeDef> nodes = new ArrayList<>(variableAndRead(group.variable(), packedRead(group),
        group.type().dataType(), group.packedShape()));
    nodes.add(int32Const(group.variable() + "/stride", 1));
    return nodes;
  }

  /** A VarHandleOp (shared_name = its name, as every variable of ours) and one ReadVariableOp of it. */
  static List<NodeDef> variableAndRead(String variable, String read, DataType type, long[] dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    Arrays.stream(dims).forEach(d -> shape.addDim(TensorShapeProto.Dim.newBuilder().setSize(d)));
    AttrValue dtype = AttrValue.newBuilder().setType(type).build();
    NodeDef handle = NodeDef.newBuilder().setName(variable).setOp(VAR_HANDLE)
        .putAttr("dtype", dtype)
        .putAttr("shape", AttrValue.newBuilder().setShape(shape).build())
        .putAttr("container", AttrValue.newBuilder().setS(ByteString.EMPTY).build())
        .putAttr("shared_name", AttrValue.newBuilder().setS(ByteString.copyFromUtf8(variable)).build())
        .build();
    NodeDef readOp = NodeDef.newBuilder().setName(read).setOp(READ).addInput(variable).putAttr("dtype", dtype).build();
    return List.of(handle, readOp);
  }

  private static String packedRead(BaseWeightGroup group) {
    return group.variable() + "/read";
  }

  /** {@code read} remade as row {@code row} of the packed read: same name, device and control inputs. */
  private static NodeDef rowSlice(NodeDef read, BaseWeightGroup group, int row) {
    String rowScope = group.variable() + "/row_" + row;
    NodeDef.Builder slice = NodeDef.newBuilder().setName(read.getName()).setOp("StridedSlice")
        .setDevice(read.getDevice())
        .addInput(packedRead(group)).addInput(rowScope + "/begin").addInput(rowScope + "/end")
        .addInput(group.variable() + "/stride")
        .putAttr("T", AttrValue.newBuilder().setType(group.type().dataType()).build())
        .putAttr("Index", AttrValue.newBuilder().setType(DataType.DT_INT32).build())
        .putAttr("begin_mask", AttrValue.newBuilder().setI(0).build())
        .putAttr("end_mask", AttrValue.newBuilder().setI(0).build())
        .putAttr("ellipsis_mask", AttrValue.newBuilder().setI(0).build())
        .putAttr("new_axis_mask", AttrValue.newBuilder().setI(0).build())
        .putAttr("shrink_axis_mask", AttrValue.newBuilder().setI(1).build());
    read.getInputList().stream().filter(i -> i.startsWith("^")).forEach(slice::addInput);
    return slice.build();
  }

  private static NodeDef int32Const(String name, int value) {
    return IntConstant.vector(name, DataType.DT_INT32, value);
  }

  /**
   * The op that fills the packed variables from their members and then frees the members, group after group
   * (each group's reads wait for the previous group's frees), so that memory peaks at the base weights plus one
   * group rather than twice the base weights.
   *
   * @return the op's name; null when nothing is packed
   */
  static String addPackOp(Graph graph, PackedBaseWeights weights, String scope) {
    if (weights.groups().isEmpty()) {
      return null;
    }
    Ops tf = Ops.create(graph).withSubScope(scope);
    List<Op> previous = List.of();
    for (BaseWeightGroup group : weights.groups()) {
      previous = List.of(fill(tf.withControlDependencies(previous), graph, group, group.type().tensorType()));
    }
    return tf.withName("pack").withControlDependencies(previous).noOp().op().name();
  }

  /** Packed := stack(members); then each member destroyed. Returns an op that follows the frees. */
  private static <T extends TType> Op fill(Ops tf, Graph graph, BaseWeightGroup group, Class<T> type) {
    List<Operand<T>> reads = new ArrayList<>();
    for (String member : group.members()) {
      reads.add(tf.readVariableOp(handle(graph, member), type));
    }
    Ops plain = tf.withControlDependencies(List.of());
    Op assign = plain.assignVariableOp(handle(graph, group.variable()), plain.stack(reads));
    List<Op> frees = new ArrayList<>();
    for (String member : group.members()) {
      frees.add(plain.withControlDependencies(List.of(assign))
          .destroyResourceOp(handle(graph, member), DestroyResourceOp.ignoreLookupError(false)));
    }
    return plain.withControlDependencies(frees).noOp();
  }

  private static Output<?> handle(Graph graph, String variable) {
    return graph.operationOrThrow(variable).output(0);
  }
}
