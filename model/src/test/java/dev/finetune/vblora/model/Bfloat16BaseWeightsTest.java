package dev.finetune.vblora.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;

/**
 * A bfloat16 graph reads its packed frozen weights from bfloat16 copies: the same bits as casting them on every
 * step, no cast of a packed row left where a copy exists, float32 readers still on the float32 variable, and the
 * copies refilled whenever the packed variables are.
 */
class Bfloat16BaseWeightsTest {
  private static final String SIGNATURE = "serving_default";
  private static TinyEncoder.Fixture toy;

  @BeforeAll
  static void build() {
    toy = TinyEncoder.fixture(SIGNATURE, 5);
  }

  /** The toy's query and value kernels adapted (as BERT's q and v are), in {@code precision}. */
  private static AdaptedGraph rewrite(UpdateForm form, GemmPrecision precision, boolean pack) {
    return rewrite(toy.metaGraph(), form, precision, pack, Path.of("unused"));
  }

  private static AdaptedGraph rewrite(MetaGraphDef metaGraph, UpdateForm form, GemmPrecision precision, boolean pack,
      Path checkpoint) {
    VbLoraConfig config = VbLoraConfig.builder().numVectors(6).vectorLength(4).rank(2).topk(2).seed(11)
        .initLogitsStd(1.0).build();
    List<Kernel> queryValue = toy.kernels().stream()
        .filter(k -> k.name().contains("/query/") || k.name().contains("/value/")).toList();
    return GraphRewriter.rewrite(metaGraph, SIGNATURE, VbLoraPlan.of(queryValue, config), checkpoint, form,
        precision, pack);
  }

  /** The toy model alone (no adapter), packed and in bfloat16: what {@link Bfloat16BaseWeights#copy} starts from. */
  private static BaseWeightPacking.Packed packedBfloat16Toy() {
    GraphDef graph = toy.metaGraph().getGraphDef();
    Set<String> names = new HashSet<>();
    graph.getNodeList().forEach(n -> names.add(n.getName()));
    BaseWeightPacking.Packed packed = BaseWeightPacking.pack(graph, names, outputNodes(), "packed_base");
    GraphDef bf16 = Bfloat16Regions.rewrite(Bfloat16Gemms.rewrite(packed.graph(), List.of("x", "segment_ids")),
        outputNodes());
    return new BaseWeightPacking.Packed(bf16, packed.weights());
  }

  private static Map<String, String> signatureOutputs() {
    Map<String, String> outputs = new TreeMap<>();
    toy.metaGraph().getSignatureDefOrThrow(SIGNATURE).getOutputsMap().forEach((k, v) -> outputs.put(k, v.getName()));
    return outputs;
  }

  private static List<String> outputNodes() {
    return signatureOutputs().values().stream().map(t -> TensorName.parse(t).node()).toList();
  }

  /** {@code graph}'s outputs with the toy's weights packed and, when there are copies, copied. */
  private static List<float[]> run(GraphDef graph, PackedBaseWeights weights, Map<String, String> copies) {
    try (Graph g = new Graph()) {
      g.importGraphDef(graph);
      String pack = BaseWeightPacking.addPackOp(g, weights, "test_pack");
      Optional<String> copy = Bfloat16BaseWeights.addCopyOp(g, copies, "test_copy");
      try (Session session = new Session(g)) {
        TinyEncoder.assign(g, session, toy.weights());
        session.runner().addTarget(pack).run().close();
        copy.ifPresent(op -> session.runner().addTarget(op).run().close());
        return new ArrayList<>(TinyEncoder.outputs(signatureOutputs(), session, toy.x()).values());
      }
    }
  }

  private static void assertBitIdentical(List<float[]> expected, List<float[]> actual) {
    assertEquals(expected.size(), actual.size());
    for (int i = 0; i < expected.size(); i++) {
      assertArrayEquals(expected.get(i), actual.get(i), 0f, "output " + i);
    }
  }

  @Test
  void theCopiesGiveTheBitsOfCastingThePackedRowsOnEveryRun() {
    BaseWeightPacking.Packed bf16 = packedBfloat16Toy();
    Bfloat16BaseWeights.Copied copied = Bfloat16BaseWeights.copy(bf16.graph(), bf16.weights(), outputNodes());
    assertFalse(copied.copies().isEmpty());
    assertBitIdentical(run(bf16.graph(), bf16.weights(), Map.of()),
        run(copied.graph(), bf16.weights(), copied.copies()));
  }

  @Test
  void everyPackedGroupWhoseRowsAreCastGetsOneCopyAndNoCastOfAPackedRowRemains() {
    BaseWeightPacking.Packed bf16 = packedBfloat16Toy();
    Bfloat16BaseWeights.Copied copied = Bfloat16BaseWeights.copy(bf16.graph(), bf16.weights(), outputNodes());
    assertEquals(castGroups(bf16.graph(), bf16.weights(), outputNodes()), copied.copies().keySet());
    assertTrue(castGroups(copied.graph(), bf16.weights(), outputNodes()).isEmpty());
    // Two shapes of the toy's kernels have two or more members: [8, 8] (q, k, v, pooler) and [8, 16] (the
    // intermediate kernels and layer 1's transposed output kernel).
    assertEquals(Set.of("packed_base/f32_8x8", "packed_base/f32_8x16"), copied.copies().keySet());
    NodeIndex index = new NodeIndex(copied.graph());
    copied.copies().forEach((packed, copy) -> {
      NodeDef variable = index.node(copy);
      assertEquals(DataType.DT_BFLOAT16, variable.getAttrOrThrow("dtype").getType());
      assertEquals(index.node(packed).getAttrOrThrow("shape"), variable.getAttrOrThrow("shape"), copy);
    });
  }

  @Test
  void aFloat32GraphGetsNoCopy() {
    GraphDef graph = toy.metaGraph().getGraphDef();
    Set<String> names = new HashSet<>();
    graph.getNodeList().forEach(n -> names.add(n.getName()));
    BaseWeightPacking.Packed packed = BaseWeightPacking.pack(graph, names, outputNodes(), "packed_base");
    Bfloat16BaseWeights.Copied copied = Bfloat16BaseWeights.copy(packed.graph(), packed.weights(), outputNodes());
    assertTrue(copied.copies().isEmpty());
    assertEquals(packed.graph(), copied.graph());
    try (AdaptedGraph fp32 = rewrite(UpdateForm.LOW_RANK, GemmPrecision.FLOAT32, true)) {
      assertEquals(0, bfloat16Variables(fp32.graph().toGraphDef()).size());
    }
  }

  /**
   * The adapted graph with copies gives, to the bit, what the same bfloat16 graph gives with every base weight in
   * its own variable (no packing, so no copies), outputs and deltas.
   */
  @ParameterizedTest
  @EnumSource(UpdateForm.class)
  void anAdaptedBfloat16GraphGivesTheBitsItGaveWithoutCopies(UpdateForm form) {
    try (AdaptedGraph copies = rewrite(form, GemmPrecision.BFLOAT16, true);
        AdaptedGraph separate = rewrite(form, GemmPrecision.BFLOAT16, false)) {
      assertEquals(2, bfloat16Variables(copies.graph().toGraphDef()).size(), "one copy per packed kernel shape");
      assertEquals(0, bfloat16Variables(separate.graph().toGraphDef()).size());
      List<float[]> expected = new ArrayList<>(TinyEncoder.outputsAndDeltas(separate, toy).values());
      List<float[]> actual = new ArrayList<>(TinyEncoder.outputsAndDeltas(copies, toy).values());
      assertBitIdentical(expected, actual);
    }
  }

  /**
   * In the merged update form the adapted q and v kernels enter their products as W + delta, a float32 sum: their
   * rows still come from the float32 packed variable, while k's and the pooler's, cast as they are, come from
   * the copy.
   */
  @Test
  void aMemberReadAsFloat32KeepsReadingTheFloat32PackedVariable() {
    try (AdaptedGraph adapted = rewrite(UpdateForm.MERGED, GemmPrecision.BFLOAT16, true)) {
      GraphDef graph = adapted.graph().toGraphDef();
      NodeIndex index = new NodeIndex(graph);
      List<String> outputs = adapted.outputs().values().stream().map(t -> TensorName.parse(t).node()).toList();
      Set<String> runs = index.runClosure(outputs);
      BaseWeightGroup square = adapted.packedBaseWeights().groups().stream()
          .filter(g -> Arrays.equals(g.shape(), new long[] {8, 8})).findFirst().orElseThrow();
      String copyRead = index.consumers(bfloat16Variables(graph).stream()
          .filter(v -> v.startsWith(square.variable() + "/")).findFirst().orElseThrow()).get(0);
      for (String member : square.members()) {
        boolean adaptedKernel = adapted.targets().stream().anyMatch(t -> t.kernel().name().equals(member));
        Set<String> sources = rowSources(index, runs, square.variable(), square.row(member));
        assertEquals(adaptedKernel ? Set.of(square.variable() + "/read") : Set.of(copyRead), sources, member);
      }
      assertTrue(castGroups(graph, adapted.packedBaseWeights(), outputs).isEmpty());
    }
  }

  @Test
  void packingOtherWeightsRefreshesTheCopies() {
    Map<String, float[][]> other = TinyEncoder.randomWeights(toy.metaGraph().getGraphDef(), new Random(17));
    try (AdaptedGraph adapted = rewrite(UpdateForm.LOW_RANK, GemmPrecision.BFLOAT16, true)) {
      Map<String, float[]> first;
      Map<String, float[]> refreshed;
      try (Session session = adapted.newSession()) {
        session.runner().addTarget(adapted.initOp()).run().close();
        TinyEncoder.assign(adapted.graph(), session, toy.weights());
        adapted.packBaseWeights(session);
        first = TinyEncoder.outputs(adapted.outputs(), session, toy.x());
        TinyEncoder.assign(adapted.graph(), session, other);
        adapted.packBaseWeights(session);
        refreshed = TinyEncoder.outputs(adapted.outputs(), session, toy.x());
      }
      assertCopiesFollowed(adapted, other, first, refreshed);
    }
  }

  @Test
  void restoringAnotherCheckpointRefreshesTheCopies(@TempDir Path folder) {
    MetaGraphDef withSaver = ToySaver.withSaver(toy.metaGraph(), List.copyOf(toy.weights().keySet()),
        ToySaver.Strings.PYTHON);
    Path prefix = folder.resolve("variables");
    Map<String, float[][]> other = TinyEncoder.randomWeights(toy.metaGraph().getGraphDef(), new Random(17));
    try (AdaptedGraph adapted = rewrite(withSaver, UpdateForm.LOW_RANK, GemmPrecision.BFLOAT16, true, prefix)) {
      assertTrue(adapted.restoresIntoPackedVariables());
      Map<String, float[]> first;
      Map<String, float[]> refreshed;
      try (Session session = adapted.newSession()) {
        ToySaver.save(withSaver, toy.weights(), prefix);
        adapted.initialize(session);
        first = TinyEncoder.outputs(adapted.outputs(), session, toy.x());
        ToySaver.save(withSaver, other, prefix);
        adapted.restore(session);
        refreshed = TinyEncoder.outputs(adapted.outputs(), session, toy.x());
      }
      assertCopiesFollowed(adapted, other, first, refreshed);
    }
  }

  /**
   * {@code refreshed}, what {@code adapted} computed after its base weights became {@code other}, is what a fresh
   * session that starts from {@code other} computes, and differs from {@code first}, what it computed before: the
   * copies followed the new weights.
   */
  private static void assertCopiesFollowed(AdaptedGraph adapted, Map<String, float[][]> other,
      Map<String, float[]> first, Map<String, float[]> refreshed) {
    try (Session fresh = adapted.newSession()) {
      fresh.runner().addTarget(adapted.initOp()).run().close();
      TinyEncoder.assign(adapted.graph(), fresh, other);
      adapted.packBaseWeights(fresh);
      assertBitIdentical(List.copyOf(TinyEncoder.outputs(adapted.outputs(), fresh, toy.x()).values()),
          List.copyOf(refreshed.values()));
    }
    assertFalse(Arrays.equals(first.get("output:pooled_output"), refreshed.get("output:pooled_output")),
        "other weights, other outputs");
  }

  /**
   * The packed variables of {@code weights} that a Cast from float32 to bfloat16 of a slice of theirs reads, of the
   * casts that {@code outputs} run.
   */
  private static Set<String> castGroups(GraphDef graph, PackedBaseWeights weights, List<String> outputs) {
    NodeIndex index = new NodeIndex(graph);
    Set<String> runs = index.runClosure(outputs);
    Set<String> groups = new HashSet<>();
    for (BaseWeightGroup group : weights.groups()) {
      for (String read : index.consumers(group.variable())) {
        for (String slice : index.consumers(read)) {
          for (String reader : index.consumers(slice)) {
            if (index.node(slice).getOp().equals("StridedSlice") && runs.contains(reader)
                && Bfloat16Gemms.isCast(index.node(reader), DataType.DT_FLOAT, DataType.DT_BFLOAT16)) {
              groups.add(group.variable());
            }
          }
        }
      }
    }
    return groups;
  }

  /** The reads that the slices of row {@code row} of packed variable {@code variable} in {@code runs} take it from. */
  private static Set<String> rowSources(NodeIndex index, Set<String> runs, String variable, int row) {
    Set<String> sources = new HashSet<>();
    for (String name : runs) {
      NodeDef node = index.node(name);
      if (node.getOp().equals("StridedSlice") && node.getInput(1).equals(variable + "/row_" + row + "/begin")) {
        sources.add(index.input(node, 0).node());
      }
    }
    return sources;
  }

  private static List<String> bfloat16Variables(GraphDef graph) {
    return graph.getNodeList().stream().filter(n -> n.getOp().equals("VarHandleOp")
        && n.getAttrOrThrow("dtype").getType() == DataType.DT_BFLOAT16).map(NodeDef::getName).toList();
  }
}
