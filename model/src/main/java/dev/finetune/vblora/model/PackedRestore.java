package dev.finetune.vblora.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.TreeMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.train.Restore;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SaverDef;
import org.tensorflow.types.TString;
import org.tensorflow.types.family.TType;

/**
 * Restores the base weights straight into their packed variables (see {@link PackedBaseWeights}): one RestoreV2
 * per packed group, stacked and assigned, then one for the variables that stay on their own, each step waiting
 * for the one before. The packed members are never allocated, so memory holds the base weights once plus one
 * group's entries in flight (BERT-base: 170 MB for the 72 [768, 768] kernels). Restoring into the members and
 * moving them afterwards ({@link BaseWeightPacking#addPackOp}) held about twice that on a CPU.
 *
 * <p>Which checkpoint entry fills which variable is read off the model's own saver: every variable its restore op
 * assigns, from which output of which RestoreV2 (through Identity ops). A saver this does not follow (partitioned
 * or ref variables, types the trainer does not know) gives no op, and the caller restores with the saver and
 * packs afterwards.
 */
final class PackedRestore {
  /**
   * What a restore op it can replace may run: anything else (a lookup table's import, a function call, an
   * AssignAdd) would be skipped by the replacement, so such a saver falls back to running itself.
   */
  private static final Set<String> FOLLOWED = Set.of("RestoreV2", "Identity", "AssignVariableOp", "VarHandleOp",
      "Const", "NoOp", "Placeholder", "PlaceholderWithDefault");

  private PackedRestore() {}

  /** One checkpoint entry and the variable it fills. */
  private record Entry(String variable, String key, ElementType type) {}

  /**
   * Adds the restore op to {@code graph} (imported from {@code graphDef}); its checkpoint prefix is fed like the
   * saver's, through {@code saver.getFilenameTensorName()}.
   *
   * @return the op's name; empty when nothing is packed or the saver is not one this can follow
   */
  static Optional<String> addRestoreOp(Graph graph, GraphDef graphDef, SaverDef saver, PackedBaseWeights weights,
      String scope) {
    if (weights.groups().isEmpty() || saver.getRestoreOpName().isEmpty()) {
      return Optional.empty();
    }
    Optional<Map<String, Entry>> found = entries(new NodeIndex(graphDef), saver.getRestoreOpName());
    if (found.isEmpty()) {
      return Optional.empty();
    }
    Map<String, Entry> entries = found.get();
    if (weights.groups().stream().anyMatch(g -> !entries.keySet().containsAll(g.members())
        || g.members().stream().anyMatch(m -> entries.get(m).type() != g.type()))) {
      return Optional.empty();
    }
    Ops tf = Ops.create(graph).withSubScope(scope);
    Operand<TString> prefix = graph.outputOrThrow(saver.getFilenameTensorName()).expect(TString.class);
    List<Op> previous = List.of();
    for (BaseWeightGroup group : weights.groups()) {
      List<Entry> members = group.members().stream().map(entries::get).toList();
      previous = List.of(fillGroup(tf.withControlDependencies(previous), graph, prefix, group, members,
          group.type().tensorType()));
    }
    List<Entry> alone = entries.values().stream().filter(e -> weights.groupOf(e.variable()).isEmpty()).toList();
    if (!alone.isEmpty()) {
      previous = assignAlone(tf.withControlDependencies(previous), graph, prefix, alone);
    }
    return Optional.of(tf.withName("restore").withControlDependencies(previous).noOp().op().name());
  }

  /**
   * Every variable the saver's restore op assigns, with its checkpoint key and type; empty when the restore runs
   * an op outside {@link #FOLLOWED} or one of its assignments is not an AssignVariableOp of a VarHandleOp from an
   * unpartitioned RestoreV2 output of a known type.
   */
  private static Optional<Map<String, Entry>> entries(NodeIndex index, String restoreOp) {
    if (!index.contains(restoreOp)) {
      return Optional.empty();
    }
    Map<String, Entry> entries = new TreeMap<>();
    Map<String, Optional<List<String>>> strings = new HashMap<>();
    Set<String> runs = index.runClosure(List.of(restoreOp));
    for (String name : runs) {
      NodeDef node = index.node(name);
      if (!FOLLOWED.contains(node.getOp())) {
        return Optional.empty();
      }
      if (!node.getOp().equals("AssignVariableOp")) {
        continue;
      }
      String variable = index.input(node, 0).node();
      TensorName source = index.input(node, 1);
      while (index.node(source.node()).getOp().equals("Identity")) {
        source = index.input(index.node(source.node()), 0);
      }
      NodeDef restore = index.node(source.node());
      if (!index.node(variable).getOp().equals("VarHandleOp") || !restore.getOp().equals("RestoreV2")
          || entries.containsKey(variable)) {
        return Optional.empty();
      }
      int i = source.index();
      Optional<String> key = stringAt(index, index.input(restore, 1), i, strings);
      Optional<String> slice = stringAt(index, index.input(restore, 2), i, strings);
      DataType type = restore.getAttrOrThrow("dtypes").getList().getType(i);
      if (key.isEmpty() || slice.isEmpty() || !slice.get().isEmpty() || !known(type)) {
        return Optional.empty();
      }
      entries.put(variable, new Entry(variable, key.get(), ElementType.of(type)));
    }
    return Optional.of(entries);
  }

  /**
   * Each variable the saver's restore op fills, with its checkpoint key; empty when the saver is not one
   * {@link #entries} can follow (see there).
   */
  static Optional<Map<String, String>> checkpointKeys(GraphDef graphDef, SaverDef saver) {
    if (saver.getRestoreOpName().isEmpty()) {
      return Optional.empty();
    }
    return entries(new NodeIndex(graphDef), saver.getRestoreOpName()).map(entries -> {
      Map<String, String> keys = new TreeMap<>();
      entries.forEach((variable, entry) -> keys.put(variable, entry.key()));
      return keys;
    });
  }

  private static boolean known(DataType type) {
    return Arrays.stream(ElementType.values()).anyMatch(t -> t.dataType() == type);
  }

  /**
   * Element {@code i} of a Const string vector, if {@code tensor} is one (however its strings are stored); each
   * Const is decoded once into {@code decoded}, as a saver's key vector is read once per variable.
   */
  private static Optional<String> stringAt(NodeIndex index, TensorName tensor, int i,
      Map<String, Optional<List<String>>> decoded) {
    NodeDef node = index.node(tensor.node());
    if (!node.getOp().equals("Const")) {
      return Optional.empty();
    }
    return decoded.computeIfAbsent(node.getName(), n -> StringTensorValues.of(node.getAttrOrThrow("value").getTensor()))
        .filter(values -> i < values.size())
        .map(values -> values.get(i));
  }

  /**
   * The members' entries, stacked in row order into the packed variable. Writing each entry into its row of a
   * zero-filled variable instead would hold only one member in flight, but ResourceStridedSliceAssign puts the
   * variable in copy-on-read mode: every later read, each training step's too, would copy it.
   */
  private static <T extends TType> Op fillGroup(Ops tf, Graph graph, Operand<TString> prefix, BaseWeightGroup group,
      List<Entry> members, Class<T> type) {
    List<Operand<T>> rows = new ArrayList<>();
    for (Output<?> tensor : restore(tf, prefix, members).tensors()) {
      rows.add(tensor.expect(type));
    }
    return tf.assignVariableOp(variable(graph, group.variable()), tf.stack(rows));
  }

  /** The variables outside every group, each assigned its own entry. */
  private static List<Op> assignAlone(Ops tf, Graph graph, Operand<TString> prefix, List<Entry> alone) {
    List<Op> assigns = new ArrayList<>();
    List<Output<?>> tensors = restore(tf, prefix, alone).tensors();
    for (int i = 0; i < alone.size(); i++) {
      assigns.add(tf.assignVariableOp(variable(graph, alone.get(i).variable()), tensors.get(i)));
    }
    return assigns;
  }

  private static Restore restore(Ops tf, Operand<TString> prefix, List<Entry> entries) {
    String[] keys = entries.stream().map(Entry::key).toArray(String[]::new);
    String[] slices = new String[keys.length];
    Arrays.fill(slices, "");
    List<Class<? extends TType>> types = entries.stream().<Class<? extends TType>>map(e -> e.type().tensorType())
        .toList();
    return tf.train.restore(prefix, tf.constant(NdArrays.vectorOfObjects(keys)),
        tf.constant(NdArrays.vectorOfObjects(slices)), types);
  }

  private static Output<?> variable(Graph graph, String name) {
    return graph.operationOrThrow(name).output(0);
  }
}
