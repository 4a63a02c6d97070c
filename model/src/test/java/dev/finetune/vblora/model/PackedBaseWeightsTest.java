package dev.finetune.vblora.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Packed base weights on the toy encoder: the same outputs to the bit as separate variables, one variable per
 * shape on the step's path, and the originals freed once packed.
 */
class PackedBaseWeightsTest {
  private static final String SIGNATURE = "serving_default";
  /** The toy, its kernels, its random but fixed base weights and input. */
  private static TinyEncoder.Fixture toy;

  @BeforeAll
  static void build() {
    toy = TinyEncoder.fixture(SIGNATURE, 5);
  }

  private static AdaptedGraph rewrite(UpdateForm form, boolean pack) {
    VbLoraConfig config = VbLoraConfig.builder().numVectors(6).vectorLength(4).rank(2).topk(2).seed(11).build();
    return GraphRewriter.rewrite(toy.metaGraph(), SIGNATURE, VbLoraPlan.of(toy.kernels(), config), Path.of("unused"),
        form, GemmPrecision.FLOAT32, pack);
  }

  /** What a checkpoint restore does: the base variables get their values, then move into the packed ones. */
  private static void setBaseWeights(AdaptedGraph adapted, Session session) {
    TinyEncoder.assign(adapted.graph(), session, toy.weights());
    adapted.packBaseWeights(session);
  }

  /** The signature's outputs and every adapted kernel's delta, flattened, in a fixed order. */
  private static List<float[]> outputs(AdaptedGraph adapted) {
    return new ArrayList<>(TinyEncoder.outputsAndDeltas(adapted, toy).values());
  }

  @ParameterizedTest
  @EnumSource(UpdateForm.class)
  void packedAndSeparateBaseWeightsGiveBitIdenticalOutputs(UpdateForm form) {
    try (AdaptedGraph packed = rewrite(form, true); AdaptedGraph separate = rewrite(form, false)) {
      assertFalse(packed.packedBaseWeights().groups().isEmpty());
      assertTrue(separate.packedBaseWeights().groups().isEmpty());
      List<float[]> expected = outputs(separate);
      List<float[]> actual = outputs(packed);
      assertEquals(expected.size(), actual.size());
      for (int i = 0; i < expected.size(); i++) {
        assertArrayEquals(expected.get(i), actual.get(i), 0f, "output " + i);
      }
    }
  }

  /**
   * A model's saver is followed straight into the packed variables whether Python or TF-Java wrote its checkpoint
   * keys, and the restored step computes what the assigned weights compute.
   */
  @ParameterizedTest
  @EnumSource(ToySaver.Strings.class)
  void theSaversKeysAreReadHoweverTheyAreStored(ToySaver.Strings strings, @TempDir Path folder) {
    MetaGraphDef withSaver = ToySaver.withSaver(toy.metaGraph(), List.copyOf(toy.weights().keySet()), strings);
    Path prefix = folder.resolve("variables");
    ToySaver.save(withSaver, toy.weights(), prefix);
    VbLoraConfig config = VbLoraConfig.builder().numVectors(6).vectorLength(4).rank(2).topk(2).seed(11).build();
    try (AdaptedGraph restored = GraphRewriter.rewrite(withSaver, SIGNATURE, VbLoraPlan.of(toy.kernels(), config),
            prefix, UpdateForm.LOW_RANK, GemmPrecision.FLOAT32, true);
        AdaptedGraph assigned = rewrite(UpdateForm.LOW_RANK, true)) {
      assertTrue(restored.restoresIntoPackedVariables(), strings + " keys");
      Map<String, float[]> actual;
      try (Session session = restored.newSession()) {
        restored.initialize(session);
        actual = TinyEncoder.outputs(restored.outputs(), session, toy.x());
      }
      Map<String, float[]> expected;
      try (Session session = assigned.newSession()) {
        setBaseWeights(assigned, session);
        session.runner().addTarget(assigned.initOp()).run().close();
        expected = TinyEncoder.outputs(assigned.outputs(), session, toy.x());
      }
      assertEquals(expected.keySet(), actual.keySet());
      expected.forEach((k, v) -> assertArrayEquals(v, actual.get(k), 0f, k));
    }
  }

  /** The serving path's base variables grouped by shape, from the toy's own graph: what should be packed. */
  @Test
  void everyShapeWithTwoOrMoreServingWeightsHasOnePackedVariable() {
    Map<String, List<String>> byShape = new LinkedHashMap<>();
    Set<String> serving = servingVariables();
    for (String variable : toy.weights().keySet().stream().filter(serving::contains).toList()) { // graph order
      float[][] w = toy.weights().get(variable);
      byShape.computeIfAbsent(w.length + "x" + w[0].length, k -> new ArrayList<>()).add(variable);
    }
    try (AdaptedGraph adapted = rewrite(UpdateForm.LOW_RANK, true)) {
      Map<String, List<String>> packed = new LinkedHashMap<>();
      for (BaseWeightGroup group : adapted.packedBaseWeights().groups()) {
        long[] shape = group.shape();
        packed.put(shape[0] + "x" + shape[1], group.members());
        long[] declared = adapted.graph().operationOrThrow(group.variable()).attributes().getAttrShape("shape")
            .asArray();
        assertArrayEquals(new long[] {group.members().size(), shape[0], shape[1]}, declared, group.variable());
      }
      byShape.values().removeIf(members -> members.size() < 2);
      assertEquals(byShape, packed);
      assertTrue(packed.containsKey("8x8") && packed.get("8x8").size() >= 7, "q, k, v of two layers and the pooler");
    }
  }

  /**
   * The step no longer runs the packed members' VarHandleOps: it runs one per shape instead, besides the
   * singletons and the adapter's three.
   */
  @Test
  void theOutputsRunOneVariablePerShape() {
    Set<String> serving = servingVariables();
    Map<String, float[][]> weights = toy.weights();
    long shapes = serving.stream().map(v -> weights.get(v).length + "x" + weights.get(v)[0].length).distinct()
        .count();
    try (AdaptedGraph separate = rewrite(UpdateForm.LOW_RANK, false);
        AdaptedGraph packed = rewrite(UpdateForm.LOW_RANK, true)) {
      assertEquals(serving.size() + 3, varHandlesRun(separate), "every base weight, bank, logits_A, logits_B");
      assertEquals(shapes + 3, varHandlesRun(packed), "one per shape, bank, logits_A, logits_B");
    }
  }

  @Test
  void packingFreesTheMembersAndReadBaseWeightStillSeesTheirValues() {
    try (AdaptedGraph adapted = rewrite(UpdateForm.LOW_RANK, true); Session session = adapted.newSession()) {
      Ops tf = Ops.create(adapted.graph()).withSubScope("test");
      BaseWeightGroup group = adapted.packedBaseWeights().groups().get(0);
      String member = group.members().get(1);
      var initialized = tf.varIsInitializedOp(adapted.graph().operationOrThrow(member).output(0));
      var read = adapted.readBaseWeight(tf, member);
      setBaseWeights(adapted, session);
      try (Result result = session.runner().fetch(initialized).fetch(read).run()) {
        assertFalse(((TBool) result.get(0)).getBoolean(), member + " is freed once packed");
        assertArrayEquals(TinyEncoder.flatten(toy.weights().get(member)),
            TinyEncoder.flatten(StdArrays.array2dCopyOf((TFloat32) result.get(1))), 0f);
      }
      IllegalStateException twice = assertThrows(IllegalStateException.class, () -> adapted.packBaseWeights(session));
      assertTrue(twice.getMessage().contains("restore"), twice.getMessage());
      // Restoring again (values into the members, then packing) works as the first time did.
      setBaseWeights(adapted, session);
      try (Result result = session.runner().fetch(read).run()) {
        assertArrayEquals(TinyEncoder.flatten(toy.weights().get(member)),
            TinyEncoder.flatten(StdArrays.array2dCopyOf((TFloat32) result.get(0))), 0f);
      }
    }
  }

  /** The base variables that the signature's outputs read, from the untouched toy graph. */
  private static Set<String> servingVariables() {
    GraphDef graph = toy.metaGraph().getGraphDef();
    Set<String> outputs = new HashSet<>();
    toy.metaGraph().getSignatureDefOrThrow(SIGNATURE).getOutputsMap().values()
        .forEach(info -> outputs.add(TensorName.parse(info.getName()).node()));
    Set<String> variables = new HashSet<>();
    for (NodeDef node : closure(graph, outputs)) {
      if (node.getOp().equals("VarHandleOp")) {
        variables.add(node.getName());
      }
    }
    return variables;
  }

  /** VarHandleOps a run of the adapted graph's outputs needs (data and control inputs, transitively). */
  private static long varHandlesRun(AdaptedGraph adapted) {
    Set<String> outputs = new HashSet<>();
    adapted.outputs().values().forEach(name -> outputs.add(TensorName.parse(name).node()));
    return closure(adapted.graph().toGraphDef(), outputs).stream().filter(n -> n.getOp().equals("VarHandleOp"))
        .count();
  }

  private static List<NodeDef> closure(GraphDef graph, Set<String> from) {
    Map<String, NodeDef> nodes = new HashMap<>();
    graph.getNodeList().forEach(n -> nodes.put(n.getName(), n));
    Set<String> seen = new HashSet<>(from);
    Deque<String> work = new ArrayDeque<>(from);
    List<NodeDef> reached = new ArrayList<>();
    while (!work.isEmpty()) {
      NodeDef node = nodes.get(work.pop());
      reached.add(node);
      for (String input : node.getInputList()) {
        String name = TensorName.parse(input).node();
        if (seen.add(name)) {
          work.push(name);
        }
      }
    }
    return reached;
  }
}
