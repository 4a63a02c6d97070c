package dev.finetune.vblora.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.ops.LayerShape;
import dev.finetune.vblora.ops.VbLoraDims;
import dev.finetune.vblora.ops.VbLoraInit;
import dev.finetune.vblora.ops.testing.ReferenceVbLora;
import dev.finetune.vblora.ops.testing.TestArrays;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.types.TFloat32;

/**
 * VB-LoRA keeps all kernels' logits in two packed variables: what each kernel starts from and composes is still
 * its own logits, and the number of variables no longer grows with the number of kernels.
 */
class PackedLogitsTest {
  private static final String SIGNATURE = "serving_default";
  private static MetaGraphDef metaGraph;
  private static List<Kernel> kernels;

  @BeforeAll
  static void build() {
    TinyEncoder.Built tiny = TinyEncoder.build();
    metaGraph = tiny.metaGraph(SIGNATURE);
    kernels = KernelDiscovery.discover(metaGraph, SIGNATURE);
  }

  private static VbLoraConfig config(double initLogitsStd) {
    return VbLoraConfig.builder().numVectors(6).vectorLength(4).rank(2).topk(2).seed(11)
        .initLogitsStd(initLogitsStd).build();
  }

  private static VbLoraDims dims(VbLoraConfig c) {
    return new VbLoraDims(c.numVectors(), c.vectorLength(), c.rank(), c.topk());
  }

  private static AdaptedGraph rewrite(List<Kernel> targets, VbLoraConfig config) {
    return GraphRewriter.rewrite(metaGraph, SIGNATURE, VbLoraPlan.of(targets, config), Path.of("unused"));
  }

  private static LayerShape shape(Kernel k) {
    return new LayerShape(k.name(), Math.toIntExact(k.inFeatures()), Math.toIntExact(k.outFeatures()));
  }

  @ParameterizedTest(name = "init_logits_std {0}")
  @ValueSource(doubles = {0.1, 0.0})
  void eachKernelStartsFromExactlyItsOwnSeededLogits(double std) {
    VbLoraConfig config = config(std);
    VbLoraDims dims = dims(config);
    try (AdaptedGraph adapted = rewrite(kernels, config); Session session = adapted.newSession()) {
      session.runner().addTarget(adapted.initOp()).run().close();
      PackedLogitsLayout layout = adapted.logitsLayout().orElseThrow();
      Map<String, float[]> packed = read(session, adapted, layout.variableA(), layout.variableB());
      long[] shapeA = shapeOf(adapted, layout.variableA());
      long[] shapeB = shapeOf(adapted, layout.variableB());
      List<float[]> expected = seededLogits(dims, config);
      for (int i = 0; i < kernels.size(); i++) {
        String kernel = kernels.get(i).name();
        assertArrayEquals(expected.get(2 * i), layout.a(kernel).cut(packed.get(layout.variableA()), shapeA), 0f,
            "logits_A of " + kernel);
        assertArrayEquals(expected.get(2 * i + 1), layout.b(kernel).cut(packed.get(layout.variableB()), shapeB), 0f,
            "logits_B of " + kernel);
      }
    }
  }

  /** Each kernel's logits_A and logits_B as VbLoraInit makes them for a kernel alone (zeros for std 0). */
  private static List<float[]> seededLogits(VbLoraDims dims, VbLoraConfig config) {
    List<float[]> values = new ArrayList<>();
    try (Graph graph = new Graph(); Session session = new Session(graph)) {
      Ops tf = Ops.create(graph);
      Session.Runner runner = session.runner();
      for (Kernel k : kernels) {
        LayerShape s = shape(k);
        if (config.initLogitsStd() > 0) {
          runner.fetch(VbLoraInit.logitsA(tf, s, dims, config.initLogitsStd(), config.seed(), TFloat32.class));
          runner.fetch(VbLoraInit.logitsB(tf, s, dims, config.initLogitsStd(), config.seed(), TFloat32.class));
        } else {
          runner.fetch(tf.zeros(tf.constant(dims.logitsAShape(s)), TFloat32.class));
          runner.fetch(tf.zeros(tf.constant(dims.logitsBShape(s)), TFloat32.class));
        }
      }
      try (Result result = runner.run()) {
        for (int i = 0; i < result.size(); i++) {
          values.add(floats((TFloat32) result.get(i)));
        }
      }
    }
    return values;
  }

  @Test
  void eachKernelsDeltaIsComposedFromItsSliceOfThePackedLogits() {
    VbLoraConfig config = config(0.1);
    VbLoraDims dims = dims(config);
    try (AdaptedGraph adapted = rewrite(kernels, config); Session session = adapted.newSession()) {
      PackedLogitsLayout layout = adapted.logitsLayout().orElseThrow();
      long[] shapeA = shapeOf(adapted, layout.variableA());
      long[] shapeB = shapeOf(adapted, layout.variableB());
      // Values of our own (not the initial ones), so that a wrong slice or order cannot go unnoticed.
      float[] valuesA = toFloats(TestArrays.uniform(5, (int) TestArrays.size(shapeA), -2, 2));
      float[] valuesB = toFloats(TestArrays.uniform(6, (int) TestArrays.size(shapeB), -2, 2));
      session.runner().addTarget(adapted.initOp()).run().close();
      Ops tf = Ops.create(adapted.graph()).withSubScope("test_assign");
      session.runner()
          .addTarget(assign(tf, adapted, layout.variableA(), valuesA, shapeA))
          .addTarget(assign(tf, adapted, layout.variableB(), valuesB, shapeB)).run().close();
      String bankName = adapted.trainableVariables(AdapterVariable.BANK).get(0).name();
      double[] bank = toDoubles(read(session, adapted, bankName).get(bankName));
      Map<String, float[][]> deltas = adapted.deltas(session);
      for (Kernel k : kernels) {
        double[] a = toDoubles(layout.a(k.name()).cut(valuesA, shapeA));
        double[] b = toDoubles(layout.b(k.name()).cut(valuesB, shapeB));
        int in = Math.toIntExact(k.inFeatures());
        int out = Math.toIntExact(k.outFeatures());
        ReferenceVbLora.Factors f = ReferenceVbLora.compose(in, out, dims.rank(), dims.numVectors(),
            dims.vectorLength(), dims.topk(), a, b, bank);
        double[] expected = k.uses().get(0).transposeWeight()
            ? ReferenceVbLora.peftDelta(f, 1.0) : ReferenceVbLora.delta(f, 1.0);
        double[] actual = java.util.Arrays.stream(deltas.get(k.name())).flatMapToDouble(
            row -> java.util.stream.IntStream.range(0, row.length).mapToDouble(j -> row[j])).toArray();
        double scale = java.util.Arrays.stream(expected).map(Math::abs).max().orElse(0);
        assertTrue(scale > 0, k.name() + ": an all-zero delta would prove nothing");
        TestArrays.assertClose(expected, actual, 1e-5 * Math.max(1, scale), "delta of " + k.name());
      }
    }
  }

  @Test
  void theAdapterAddsAsManyVariablesForSixKernelsAsForTwo() {
    assertTrue(kernels.size() >= 6, "the toy has " + kernels.size() + " kernels");
    int base = countVarHandles(metaGraph.getGraphDef().getNodeList().stream().map(NodeDef::getOp).iterator());
    try (AdaptedGraph two = rewrite(kernels.subList(0, 2), config(0.1));
        AdaptedGraph six = rewrite(kernels.subList(0, 6), config(0.1))) {
      // Packed base weights add one variable per shape, whatever the adapter.
      int addedForTwo = countVarHandles(types(two.graph())) - base - two.packedBaseWeights().groups().size();
      int addedForSix = countVarHandles(types(six.graph())) - base - six.packedBaseWeights().groups().size();
      assertEquals(3, addedForTwo, "the bank, logits_A and logits_B");
      assertEquals(addedForTwo, addedForSix);
      assertEquals(6, six.logitsLayout().orElseThrow().kernels().size());
    }
  }

  @Test
  void loraHasNoPackedLogits() {
    try (AdaptedGraph adapted = GraphRewriter.rewrite(metaGraph, SIGNATURE,
        LoraPlan.of(kernels, new LoraConfig(2, 4, 0, 3)), Path.of("unused"))) {
      assertTrue(adapted.logitsLayout().isEmpty());
    }
  }

  private static Iterator<String> types(Graph graph) {
    List<String> types = new ArrayList<>();
    graph.operations().forEachRemaining(op -> types.add(op.type()));
    return types.iterator();
  }

  private static int countVarHandles(Iterator<String> types) {
    int n = 0;
    while (types.hasNext()) {
      n += types.next().equals("VarHandleOp") ? 1 : 0;
    }
    return n;
  }

  private static long[] shapeOf(AdaptedGraph adapted, String variable) {
    return adapted.trainableVariables().stream().filter(v -> v.name().equals(variable)).findFirst().orElseThrow()
        .shape().stream().mapToLong(Long::longValue).toArray();
  }

  private static org.tensorflow.op.Op assign(Ops tf, AdaptedGraph adapted, String variable, float[] values,
      long[] shape) {
    return tf.assignVariableOp(adapted.graph().operationOrThrow(variable).output(0),
        tf.reshape(tf.constant(values), tf.constant(shape)));
  }

  private static Map<String, float[]> read(Session session, AdaptedGraph adapted, String... variables) {
    Ops tf = Ops.create(adapted.graph()).withSubScope("test_read");
    Session.Runner runner = session.runner();
    List<Operand<TFloat32>> reads = new ArrayList<>();
    for (String v : variables) {
      reads.add(tf.readVariableOp(adapted.graph().operationOrThrow(v).output(0), TFloat32.class));
    }
    reads.forEach(runner::fetch);
    Map<String, float[]> values = new java.util.HashMap<>();
    try (Result result = runner.run()) {
      for (int i = 0; i < variables.length; i++) {
        values.put(variables[i], floats((TFloat32) result.get(i)));
      }
    }
    return values;
  }

  private static float[] floats(TFloat32 t) {
    float[] flat = new float[(int) t.size()];
    t.asRawTensor().data().asFloats().read(flat);
    return flat;
  }

  private static float[] toFloats(double[] values) {
    float[] f = new float[values.length];
    for (int i = 0; i < f.length; i++) {
      f[i] = (float) values[i];
    }
    return f;
  }

  private static double[] toDoubles(float[] values) {
    double[] d = new double[values.length];
    for (int i = 0; i < d.length; i++) {
      d[i] = values[i];
    }
    return d;
  }
}
