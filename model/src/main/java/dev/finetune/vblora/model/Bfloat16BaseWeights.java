package dev.finetune.vblora.model;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.tensorflow.Graph;
import org.tensorflow.Output;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TFloat32;

/**
 * Gives each packed base variable (see {@link PackedBaseWeights}) whose rows a bfloat16 graph casts to bfloat16 a
 * bfloat16 copy, filled once, and has those casts read the copy instead.
 *
 * <p>Why: after {@link Bfloat16Gemms} a product reads a frozen kernel as Cast(row i of the packed float32 variable),
 * and a bfloat16 stretch of {@link Bfloat16Regions} reads a bias the same way. The weights never change during
 * training, yet the step converts them again on every run: on an H200, XLA converts BERT-base's three packed kernel
 * groups to bfloat16 each step (three {@code wrapped_convert} kernels, ~0.12 ms of a 6.8 ms step; issue 16: cast
 * the frozen weights once). Here every such Cast becomes the same slice of one read of the copy, under the Cast's
 * name, so each reader follows unchanged. Converting a row gives the bits of the row of the converted variable, so
 * no value changes. The price is memory: each copy takes half its float32 group's.
 *
 * <p>The float32 packed variable stays, the master copy: what reads a member as float32 (the merged update's
 * W + delta, a LayerNorm's gamma, {@link AdaptedGraph#readBaseWeight}) still reads it, and
 * the copy op ({@link #addCopyOp}) fills the copies from it after every fill of the packed variables. The copies
 * are base weights, not adapter variables: like the packed variables they are built into the GraphDef, so no
 * checkpoint, export or registered initializer sees them.
 */
final class Bfloat16BaseWeights {
  private Bfloat16BaseWeights() {}

  /**
   * The graph reading the copies, and the copy of each packed variable that got one.
   *
   * @param copies packed variable to its bfloat16 copy's VarHandleOp, in group order; empty when nothing changed
   */
  record Copied(GraphDef graph, Map<String, String> copies) {
    Copied {
      copies = Collections.unmodifiableMap(new LinkedHashMap<>(copies));
    }
  }

  /**
   * Replaces every Cast from float32 to bfloat16 of a slice of a packed variable's read that {@code outputNodes}
   * run with that slice of a bfloat16 copy of the variable; only groups with such a Cast get a copy. Casts that
   * nothing runs (the frozen product an adapted kernel's merged update replaced) stay: a copy for them would only
   * take memory.
   *
   * @param outputNodes the nodes whose values the training step and predictions need
   */
  static Copied copy(GraphDef graph, PackedBaseWeights weights, Collection<String> outputNodes) {
    NodeIndex index = new NodeIndex(graph);
    Set<String> run = index.runClosure(outputNodes.stream().filter(index::contains).toList());
    Set<String> names = new HashSet<>();
    graph.getNodeList().forEach(n -> names.add(n.getName()));
    Map<String, String> copies = new LinkedHashMap<>();
    Map<String, NodeDef> replaced = new HashMap<>();
    List<NodeDef> added = new ArrayList<>();
    for (BaseWeightGroup group : weights.groups()) {
      if (group.type() != ElementType.F32 || !index.contains(group.variable())) {
        continue;
      }
      Map<String, NodeDef> casts = castRows(index, group.variable(), run);
      if (casts.isEmpty()) {
        continue;
      }
      String copy = OpNames.unique(group.variable() + "/bfloat16", names);
      String read = OpNames.unique(copy + "/read", names);
      added.addAll(BaseWeightPacking.variableAndRead(copy, read, DataType.DT_BFLOAT16, group.packedShape()));
      casts.forEach((cast, slice) -> replaced.put(cast, copyRow(slice, index.node(cast), read)));
      copies.put(group.variable(), copy);
    }
    if (copies.isEmpty()) {
      return new Copied(graph, Map.of());
    }
    return new Copied(BaseWeightPacking.replaceAndAdd(graph, replaced, added), copies);
  }

  /** Each Cast in {@code run} to bfloat16 of a slice of a read of {@code variable}, by name, to that slice. */
  private static Map<String, NodeDef> castRows(NodeIndex index, String variable, Set<String> run) {
    Map<String, NodeDef> casts = new LinkedHashMap<>();
    for (String read : index.consumers(variable)) {
      if (!index.node(read).getOp().equals("ReadVariableOp")) {
        continue;
      }
      for (String sliceName : index.consumers(read)) {
        NodeDef slice = index.node(sliceName);
        if (!slice.getOp().equals("StridedSlice") || !index.input(slice, 0).node().equals(read)) {
          continue;
        }
        for (String reader : index.consumers(sliceName)) {
          if (run.contains(reader) && Bfloat16Gemms.isCast(index.node(reader), DataType.DT_FLOAT,
              DataType.DT_BFLOAT16)) {
            casts.put(reader, slice);
          }
        }
      }
    }
    return casts;
  }

  /**
   * {@code slice} taken from the copy's read instead, under {@code cast}'s name and device; it keeps the control
   * inputs of both.
   */
  private static NodeDef copyRow(NodeDef slice, NodeDef cast, String copyRead) {
    NodeDef.Builder row = slice.toBuilder().setName(cast.getName()).setDevice(cast.getDevice()).setInput(0, copyRead)
        .putAttr("T", AttrValue.newBuilder().setType(DataType.DT_BFLOAT16).build());
    cast.getInputList().stream().filter(i -> TensorName.parse(i).control()).forEach(row::addInput);
    return row.build();
  }

  /**
   * Adds the op that sets every copy to its packed variable's current value, converted to bfloat16; run it after
   * each fill of the packed variables, or the copies hold what they held before.
   *
   * @param copies packed variable to copy, as {@link #copy} returned them
   * @return the op's name; empty when there are no copies
   */
  static Optional<String> addCopyOp(Graph graph, Map<String, String> copies, String scope) {
    if (copies.isEmpty()) {
      return Optional.empty();
    }
    Ops tf = Ops.create(graph).withSubScope(scope);
    List<Op> assigns = new ArrayList<>();
    copies.forEach((packed, copy) -> assigns.add(tf.assignVariableOp(handle(graph, copy),
        tf.dtypes.cast(tf.readVariableOp(handle(graph, packed), TFloat32.class), TBfloat16.class))));
    return Optional.of(tf.withName("copy").withControlDependencies(assigns).noOp().op().name());
  }

  private static Output<?> handle(Graph graph, String variable) {
    return graph.operationOrThrow(variable).output(0);
  }
}
