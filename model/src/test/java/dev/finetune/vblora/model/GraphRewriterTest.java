package dev.finetune.vblora.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/** The rewrite on the toy encoder, whose base weights the test sets itself (it has no checkpoint). */
class GraphRewriterTest {
  private static final String SIGNATURE = "serving_default";
  /** The toy, its kernels, its random but fixed base weights and input. */
  private static TinyEncoder.Fixture toy;
  private static final int[] SEGMENTS = {0, 1, 1};

  @BeforeAll
  static void build() {
    toy = TinyEncoder.fixture(SIGNATURE, 7);
  }

  private static VbLoraConfig config() {
    return VbLoraConfig.builder().numVectors(6).vectorLength(4).rank(2).topk(2).seed(11).build();
  }

  private static AdaptedGraph rewrite(AdapterPlan plan) {
    return GraphRewriter.rewrite(toy.metaGraph(), SIGNATURE, plan, Path.of("unused"));
  }

  private static AdaptedGraph rewrite(AdapterPlan plan, UpdateForm form) {
    return GraphRewriter.rewrite(toy.metaGraph(), SIGNATURE, plan, Path.of("unused"), form);
  }

  /** Assigns the fixed base toy.weights() (the toy has no saver to restore them with). */
  private static void setBaseWeights(Graph graph, Session session) {
    TinyEncoder.assign(graph, session, toy.weights());
  }

  /** Assigns the fixed base toy.weights() and packs them, as restoring from a checkpoint would. */
  private static void setBaseWeights(AdaptedGraph adapted, Session session) {
    setBaseWeights(adapted.graph(), session);
    adapted.packBaseWeights(session);
  }

  /** Runs the signature outputs: pooled then sequence. */
  private static float[][][] run(Session session, Map<String, String> outputs, String... extraFetches) {
    try (TFloat32 x = TFloat32.tensorOf(StdArrays.ndCopyOf(toy.x())); TInt32 segments = TInt32.vectorOf(SEGMENTS)) {
      Session.Runner runner = session.runner().feed("x:0", x).feed("segment_ids:0", segments)
          .fetch(outputs.get("pooled_output")).fetch(outputs.get("sequence_output"));
      for (String fetch : extraFetches) {
        runner.fetch(fetch);
      }
      try (Result result = runner.run()) {
        float[][][] out = new float[result.size()][][];
        for (int i = 0; i < result.size(); i++) {
          out[i] = StdArrays.array2dCopyOf((TFloat32) result.get(i));
        }
        return out;
      }
    }
  }

  private static String signatureOutput(String key) {
    return toy.metaGraph().getSignatureDefOrThrow(SIGNATURE).getOutputsOrThrow(key).getName();
  }

  private static float[][][] baseOutputs() {
    return baseOutputs(toy.weights());
  }

  /** The untouched toy's outputs with {@code weights} in its variables. */
  private static float[][][] baseOutputs(Map<String, float[][]> weights) {
    try (Graph graph = new Graph()) {
      graph.importGraphDef(toy.metaGraph().getGraphDef());
      Map<String, String> outputs = Map.of(
          "pooled_output", signatureOutput("pooled_output"), "sequence_output", signatureOutput("sequence_output"));
      try (Session session = new Session(graph)) {
        TinyEncoder.assign(graph, session, weights);
        return run(session, outputs);
      }
    }
  }

  private static float[][][] adaptedOutputs(AdaptedGraph adapted) {
    try (Session session = adapted.newSession()) {
      setBaseWeights(adapted, session);
      session.runner().addTarget(adapted.initOp()).run().close();
      return run(session, adapted.outputs());
    }
  }

  /** Every output of the adapted graph equals the untouched model's, to the bit. */
  private static void assertOutputsExactlyAsBase(AdaptedGraph adapted) {
    float[][][] base = baseOutputs();
    float[][][] out = adaptedOutputs(adapted);
    for (int i = 0; i < 2; i++) {
      for (int r = 0; r < base[i].length; r++) {
        assertArrayEquals(base[i][r], out[i][r], 0f);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(UpdateForm.class)
  void aZeroBankLeavesTheModelExactlyAsItWas(UpdateForm form) {
    VbLoraPlan plan = VbLoraPlan.of(toy.kernels(), config().toBuilder().initVectorBankBound(0).build());
    try (AdaptedGraph adapted = rewrite(plan, form)) {
      assertOutputsExactlyAsBase(adapted);
    }
  }

  @Test
  void aRandomBankChangesTheOutputs() {
    try (AdaptedGraph adapted = rewrite(VbLoraPlan.of(toy.kernels(), config()))) {
      float[][][] base = baseOutputs();
      float[][][] out = adaptedOutputs(adapted);
      assertFalse(java.util.Arrays.deepEquals(base, out));
    }
  }

  @ParameterizedTest
  @EnumSource(UpdateForm.class)
  void theAdaptedMatMulComputesXTimesWPlusDelta(UpdateForm form) {
    Kernel query = toy.kernels().get(0);
    try (AdaptedGraph adapted = rewrite(VbLoraPlan.of(List.of(query), config()), form)) {
      AdaptedTarget target = adapted.target(query.name());
      GraphOperation matmul = adapted.graph().operationOrThrow(query.node());
      Output<?> x = matmul.input(0);
      String adaptedOut = target.adaptedOutputs().get(query.node());
      try (Session session = adapted.newSession()) {
        setBaseWeights(adapted, session);
        session.runner().addTarget(adapted.initOp()).run().close();
        float[][][] fetched = run(session, adapted.outputs(), x.op().name() + ":" + x.index(), adaptedOut,
            target.delta());
        float[][] input = fetched[2];
        float[][] expected = matmul(input, add(toy.weights().get(query.variable()), fetched[4]));
        for (int r = 0; r < expected.length; r++) {
          assertArrayEquals(expected[r], fetched[3][r], 1e-5f);
        }
        assertEquals(fetched[4].length, query.inFeatures());
        assertTrue(absSum(fetched[4]) > 0, "the delta is live");
        assertArrayEquals(fetched[4][0], adapted.deltas(session).get(query.name())[0], 0f);
      }
    }
  }

  /**
   * The adapted model is the untouched one with W + delta in every adapted kernel, also where one adapted product
   * reads another's output directly (the toy's intermediate and output kernels, with nothing between them): the
   * second adapter reads the first one's adapted output, as the rest of the model does. The bank is drawn wide, so
   * that the deltas are large enough for the low-rank form's x A B term, whose error would be delta times delta, to
   * show it too.
   */
  @ParameterizedTest
  @EnumSource(UpdateForm.class)
  void adaptingEveryKernelIsTheUntouchedModelWithMergedWeights(UpdateForm form) {
    VbLoraPlan plan = VbLoraPlan.of(toy.kernels(), config().toBuilder().initVectorBankBound(0.3).build());
    try (AdaptedGraph adapted = rewrite(plan, form)) {
      float[][][] out;
      Map<String, float[][]> deltas;
      try (Session session = adapted.newSession()) {
        setBaseWeights(adapted, session);
        session.runner().addTarget(adapted.initOp()).run().close();
        out = run(session, adapted.outputs());
        deltas = adapted.deltas(session);
      }
      Map<String, float[][]> merged = new java.util.LinkedHashMap<>(toy.weights());
      for (Kernel k : toy.kernels()) {
        assertTrue(absSum(deltas.get(k.name())) > 0, k.name() + "'s delta is live");
        merged.put(k.variable(), add(toy.weights().get(k.variable()), deltas.get(k.name())));
      }
      float[][][] expected = baseOutputs(merged);
      for (int i = 0; i < 2; i++) {
        for (int r = 0; r < expected[i].length; r++) {
          assertArrayEquals(expected[i][r], out[i][r], 1e-5f, (i == 0 ? "pooled" : "sequence") + " row " + r);
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(UpdateForm.class)
  void aTransposedKernelGetsItsDeltaInItsOwnLayout(UpdateForm form) {
    Kernel transposed = toy.kernels().stream().filter(k -> k.uses().get(0).transposeWeight()).findFirst().orElseThrow();
    try (AdaptedGraph adapted = rewrite(VbLoraPlan.of(List.of(transposed), config()), form)) {
      AdaptedTarget target = adapted.target(transposed.name());
      GraphOperation matmul = adapted.graph().operationOrThrow(transposed.node());
      Output<?> x = matmul.input(0);
      try (Session session = adapted.newSession()) {
        setBaseWeights(adapted, session);
        session.runner().addTarget(adapted.initOp()).run().close();
        float[][][] fetched = run(session, adapted.outputs(), x.op().name() + ":" + x.index(),
            target.adaptedOutputs().get(transposed.node()), target.delta());
        float[][] stored = add(toy.weights().get(transposed.variable()), fetched[4]);   // [out, in]
        float[][] expected = matmul(fetched[2], transpose(stored));
        for (int r = 0; r < expected.length; r++) {
          assertArrayEquals(expected[r], fetched[3][r], 1e-5f);
        }
      }
    }
  }

  @Test
  void consumersReadTheAdaptedTensorAndTheAdapterReadsTheBaseOutput() {
    try (AdaptedGraph adapted = rewrite(VbLoraPlan.of(toy.kernels(), config()))) {
      GraphDef graph = adapted.graph().toGraphDef();
      for (Kernel k : toy.kernels()) {
        String matmul = k.node();
        String replacement = adapted.target(k.name()).adaptedOutputs().get(matmul);
        List<String> readers = graph.getNodeList().stream()
            .filter(n -> n.getInputList().stream().anyMatch(i -> TensorName.parse(i).node().equals(matmul)))
            .map(NodeDef::getName).collect(Collectors.toList());
        assertFalse(readers.isEmpty());
        assertTrue(readers.stream().allMatch(n -> n.startsWith("vblora/")), k.name() + " is read by " + readers);
        assertNotNull(adapted.graph().operation(TensorName.parse(replacement).node()));
      }
    }
  }

  @Test
  void trainableVariablesAreTheBankAndTwoPackedLogits() {
    VbLoraPlan plan = VbLoraPlan.of(toy.kernels(), config());
    try (AdaptedGraph adapted = rewrite(plan)) {
      assertEquals(3, adapted.trainableVariables().size());
      assertEquals(List.of("vblora/vector_bank"), adapted.trainableVariables(AdapterVariable.BANK).stream()
          .map(AdapterVariable::name).collect(Collectors.toList()));
      assertEquals(plan.trainableParams(),
          adapted.trainableVariables().stream().mapToLong(AdapterVariable::size).sum());
      assertTrue(adapted.trainableVariables().stream().noneMatch(v -> toy.weights().containsKey(v.name())));
      assertEquals(List.of("vblora/logits_A", "vblora/logits_B"), adapted.trainableVariables(AdapterVariable.LOGITS)
          .stream().map(AdapterVariable::name).collect(Collectors.toList()));
      assertEquals(toy.kernels().stream().map(Kernel::name).collect(Collectors.toList()),
          adapted.logitsLayout().orElseThrow().kernels());
      // Each is its own resource: an empty shared_name would make every handle name the same one.
      for (AdapterVariable v : adapted.trainableVariables()) {
        assertEquals(v.name(), adapted.graph().operationOrThrow(v.name()).attributes().getAttrString("shared_name"));
      }
    }
  }

  @Test
  void gradientsReachTheAdapterAndAnUpdateLeavesBaseWeightsAlone() {
    try (AdaptedGraph adapted = rewrite(VbLoraPlan.of(toy.kernels(), config()))) {
      Graph graph = adapted.graph();
      Ops tf = Ops.create(graph).withSubScope("test_train");
      Operand<TFloat32> pooled = graph.outputOrThrow(adapted.outputs().get("pooled_output")).expect(TFloat32.class);
      Operand<TFloat32> loss = tf.math.mean(tf.math.square(pooled), tf.constant(new int[] {0, 1}));
      List<AdapterVariable> trainable = adapted.trainableVariables();
      Output<?>[] values = trainable.stream().map(v -> graph.outputOrThrow(v.value())).toArray(Output<?>[]::new);
      Output<?>[] gradients = graph.addGradients(loss.asOutput(), values);
      List<Op> steps = new ArrayList<>();
      for (int i = 0; i < trainable.size(); i++) {
        steps.add(tf.assignSubVariableOp(graph.operationOrThrow(trainable.get(i).name()).output(0),
            tf.math.mul(tf.constant(0.5f), gradients[i].expect(TFloat32.class))));
      }
      try (Session session = adapted.newSession()) {
        setBaseWeights(adapted, session);
        session.runner().addTarget(adapted.initOp()).run().close();
        float[][] before = readVariables(session, trainable);
        Session.Runner gradientRun = session.runner();
        for (Output<?> g : gradients) {
          gradientRun.fetch(g);
        }
        try (TFloat32 x = TFloat32.tensorOf(StdArrays.ndCopyOf(toy.x())); TInt32 segments = TInt32.vectorOf(SEGMENTS);
            Result grads = gradientRun.feed("x:0", x).feed("segment_ids:0", segments).run()) {
          for (int i = 0; i < trainable.size(); i++) {
            assertTrue(((TFloat32) grads.get(i)).size() > 0);
          }
        }
        try (TFloat32 x = TFloat32.tensorOf(StdArrays.ndCopyOf(toy.x())); TInt32 segments = TInt32.vectorOf(SEGMENTS)) {
          Session.Runner step = session.runner().feed("x:0", x).feed("segment_ids:0", segments);
          steps.forEach(step::addTarget);
          step.run().close();
        }
        float[][] after = readVariables(session, trainable);
        for (int i = 0; i < trainable.size(); i++) {
          assertFalse(java.util.Arrays.equals(before[i], after[i]), trainable.get(i).name() + " was not updated");
        }
        for (Map.Entry<String, float[][]> base : toy.weights().entrySet()) {
          float[][] now = readBase(adapted, session, base.getKey());
          for (int r = 0; r < now.length; r++) {
            assertArrayEquals(base.getValue()[r], now[r], 0f, base.getKey() + " changed");
          }
        }
      }
    }
  }

  @Test
  void loraStartsAtTheBaseModel() {
    try (AdaptedGraph adapted = rewrite(LoraPlan.of(toy.kernels(), new LoraConfig(2, 4, 0, 3)))) {
      assertEquals(2 * toy.kernels().size(), adapted.trainableVariables().size());
      assertEquals(2.0, adapted.targets().get(0).scaling());
      assertOutputsExactlyAsBase(adapted);
    }
  }

  @Test
  void anUnknownSignatureIsNamed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> GraphRewriter.rewrite(toy.metaGraph(), "predict", VbLoraPlan.of(toy.kernels(), config()), Path.of("x")));
    assertTrue(e.getMessage().contains("no signature 'predict'"), e.getMessage());
  }

  private static float[][] readVariables(Session session, List<AdapterVariable> variables) {
    Session.Runner runner = session.runner();
    variables.forEach(v -> runner.fetch(v.value()));
    try (Result result = runner.run()) {
      float[][] values = new float[variables.size()][];
      for (int i = 0; i < variables.size(); i++) {
        TFloat32 t = (TFloat32) result.get(i);
        float[] flat = new float[(int) t.size()];
        t.asRawTensor().data().asFloats().read(flat);
        values[i] = flat;
      }
      return values;
    }
  }

  /** A base weight's value wherever it lives (its own variable, or its row of a packed one). */
  private static float[][] readBase(AdaptedGraph adapted, Session session, String variable) {
    Ops tf = Ops.create(adapted.graph()).withSubScope("test_read");
    Operand<?> read = adapted.readBaseWeight(tf, variable);
    try (Result result = session.runner().fetch(read).run()) {
      return StdArrays.array2dCopyOf((TFloat32) result.get(0));
    }
  }

  private static float[][] matmul(float[][] a, float[][] b) {
    float[][] c = new float[a.length][b[0].length];
    for (int i = 0; i < a.length; i++) {
      for (int j = 0; j < b[0].length; j++) {
        double sum = 0;
        for (int k = 0; k < b.length; k++) {
          sum += (double) a[i][k] * b[k][j];
        }
        c[i][j] = (float) sum;
      }
    }
    return c;
  }

  private static float[][] add(float[][] a, float[][] b) {
    float[][] c = new float[a.length][a[0].length];
    for (int i = 0; i < a.length; i++) {
      for (int j = 0; j < a[0].length; j++) {
        c[i][j] = a[i][j] + b[i][j];
      }
    }
    return c;
  }

  static float[][] transpose(float[][] a) {
    float[][] t = new float[a[0].length][a.length];
    for (int i = 0; i < a.length; i++) {
      for (int j = 0; j < a[0].length; j++) {
        t[j][i] = a[i][j];
      }
    }
    return t;
  }

  private static double absSum(float[][] a) {
    double s = 0;
    for (float[] row : a) {
      for (float v : row) {
        s += Math.abs(v);
      }
    }
    return s;
  }
}
