package dev.finetune.vblora.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * The merged-factored update form on the toy encoder: the merged form's outputs and adapter gradients, with no
 * product over the batch's rows of the weight's size on the way to those gradients.
 */
class FactoredGradientsTest {
  private static final String SIGNATURE = "serving_default";
  private static TinyEncoder.Fixture toy;

  @BeforeAll
  static void build() {
    toy = TinyEncoder.fixture(SIGNATURE, 7);
  }

  private static List<AdapterPlan> plans() {
    return List.of(
        VbLoraPlan.of(toy.kernels(), VbLoraConfig.builder().numVectors(6).vectorLength(4).rank(2).topk(2).seed(11)
            .build()),
        LoraPlan.of(toy.kernels(), new LoraConfig(2, 6, 0, 3)));   // scaling alpha / r = 3
  }

  @Test
  void theFactorsGetTheGradientsTheMergedFormGivesThem() {
    assertFactoredGradientsAreMergeds(GemmPrecision.FLOAT32, 1e-5);
  }

  /**
   * Every plan's outputs and adapter gradients under merged-factored equal merged's, in {@code precision}, to
   * {@code tolerance} of each tensor's largest value.
   */
  private static void assertFactoredGradientsAreMergeds(GemmPrecision precision, double tolerance) {
    for (AdapterPlan plan : plans()) {
      Map<String, float[]> merged = outputsAndGradients(plan, UpdateForm.MERGED, precision);
      Map<String, float[]> factored = outputsAndGradients(plan, UpdateForm.MERGED_FACTORED, precision);
      assertEquals(merged.keySet(), factored.keySet());
      for (String name : merged.keySet()) {
        float[] expected = merged.get(name);
        float[] actual = factored.get(name);
        double scale = 0;
        double diff = 0;
        for (int i = 0; i < expected.length; i++) {
          scale = Math.max(scale, Math.abs(expected[i]));
          diff = Math.max(diff, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(scale > 0, plan.method() + " " + name + " is all zeros, so the comparison would prove nothing");
        assertTrue(diff <= tolerance * scale, plan.method() + " " + name + ": max |merged - merged-factored| " + diff
            + " against max |value| " + scale);
      }
    }
  }

  /**
   * The thin products in chunks of rows are a^T b: at whole chunks (512 rows), with a tail (300) and without a whole
   * chunk (50), against the sums worked out here in double precision.
   */
  @ParameterizedTest
  @ValueSource(ints = {512, 300, 50})
  void theThinProductsInChunksOfRowsAreTheProductOverAllRows(int rows) {
    int p = 24;
    int q = 4;
    Random random = new Random(rows);
    float[][] a = new float[rows][p];
    float[][] b = new float[rows][q];
    for (int k = 0; k < rows; k++) {
      for (int i = 0; i < p; i++) {
        a[k][i] = (float) random.nextGaussian();
      }
      for (int j = 0; j < q; j++) {
        b[k][j] = (float) random.nextGaussian();
      }
    }
    try (Graph graph = new Graph(); Session session = new Session(graph)) {
      Ops tf = Ops.create(graph);
      Operand<TFloat32> product = FactoredGradients.overRows(tf, TFloat32.class, tf.constant(a), tf.constant(b));
      try (Result result = session.runner().fetch(product).run()) {
        float[][] got = StdArrays.array2dCopyOf((TFloat32) result.get(0));
        for (int i = 0; i < p; i++) {
          for (int j = 0; j < q; j++) {
            double want = 0;
            for (int k = 0; k < rows; k++) {
              want += (double) a[k][i] * b[k][j];
            }
            assertEquals(want, got[i][j], 1e-4 * Math.max(1, Math.abs(want)), "[" + i + ", " + j + "]");
          }
        }
      }
    }
  }

  /**
   * In a bfloat16 graph the thin products run in bfloat16 where merged rounds x^T dy instead: each variable's
   * gradient agrees with merged's to bfloat16's rounding (8 bits of mantissa, a few roundings deep), not exactly.
   */
  @Test
  void inBfloat16TheFactorsGetTheMergedFormsGradientsToItsRounding() {
    try (AdaptedGraph adapted = rewrite(plans().get(0), UpdateForm.MERGED_FACTORED, GemmPrecision.BFLOAT16)) {
      assertTrue(markers(adapted).stream().anyMatch(m -> m.input(1).dataType() == DataType.DT_BFLOAT16),
          "the bfloat16 graph's products are marked with their bfloat16 activations");
    }
    assertFactoredGradientsAreMergeds(GemmPrecision.BFLOAT16, 3e-2);
  }

  @Test
  void everyAdaptedProductIsMarkedOnce() {
    try (AdaptedGraph adapted = rewrite(plans().get(0), UpdateForm.MERGED_FACTORED)) {
      long uses = toy.kernels().stream().mapToLong(k -> k.uses().size()).sum();
      assertEquals(uses, markers(adapted).size());
      assertTrue(adapted.updateForms().asAsked(), adapted.updateForms().describe());
      assertEquals(Map.of(UpdateForm.MERGED_FACTORED, toy.kernels().size()), adapted.updateForms().counts());
    }
  }

  /** The graph's factored-gradient markers. */
  private static List<GraphOperation> markers(AdaptedGraph adapted) {
    List<GraphOperation> markers = new ArrayList<>();
    for (Iterator<GraphOperation> it = adapted.graph().operations(); it.hasNext(); ) {
      GraphOperation op = it.next();
      if (op.type().equals("IdentityN") && MarkerGradients.isMarker(op.name(), FactoredGradients.MARKER)) {
        markers.add(op);
      }
    }
    return markers;
  }

  /**
   * The point of the form: the merged form's adapter gradients read x^T dy, a product of two row-major batch
   * tensors ([rows, in] and [rows, out]) of the weight's size; the factored form's read no such product.
   */
  @Test
  void noWeightSizedProductOverTheRowsFeedsTheAdaptersGradients() {
    AdapterPlan plan = plans().get(0);
    assertTrue(weightSizedRowProducts(plan, UpdateForm.MERGED) > 0,
        "the merged form forms x^T dy, or this test could not tell the forms apart");
    assertEquals(0, weightSizedRowProducts(plan, UpdateForm.MERGED_FACTORED));
  }

  private static AdaptedGraph rewrite(AdapterPlan plan, UpdateForm form) {
    return rewrite(plan, form, GemmPrecision.FLOAT32);
  }

  private static AdaptedGraph rewrite(AdapterPlan plan, UpdateForm form, GemmPrecision precision) {
    return GraphRewriter.rewrite(toy.metaGraph(), SIGNATURE, plan, Path.of("unused"), form, precision);
  }

  private static Output<?>[] adapterGradients(AdaptedGraph adapted) {
    Graph graph = adapted.graph();
    Ops tf = Ops.create(graph).withSubScope("test_gradients");
    Operand<TFloat32> pooled = graph.outputOrThrow(adapted.outputs().get("pooled_output")).expect(TFloat32.class);
    Operand<TFloat32> loss = tf.math.mean(tf.math.square(pooled), tf.constant(new int[] {0, 1}));
    return graph.addGradients(loss.asOutput(), adapted.trainableVariables().stream()
        .map(v -> graph.outputOrThrow(v.value())).toArray(Output<?>[]::new));
  }

  /** MatMuls upstream of the adapter's gradients whose output is [in, out] of an adapted kernel, from row inputs. */
  private static int weightSizedRowProducts(AdapterPlan plan, UpdateForm form) {
    Set<Shape> weightShapes = new HashSet<>();
    toy.kernels().forEach(k -> {
      weightShapes.add(Shape.of(k.inFeatures(), k.outFeatures()));
      weightShapes.add(Shape.of(k.outFeatures(), k.inFeatures()));
    });
    try (AdaptedGraph adapted = rewrite(plan, form)) {
      Deque<Operation> pending = new ArrayDeque<>();
      for (Output<?> g : adapterGradients(adapted)) {
        pending.add(g.op());
      }
      Set<String> seen = new HashSet<>();
      int found = 0;
      while (!pending.isEmpty()) {
        GraphOperation op = (GraphOperation) pending.pop();
        if (!seen.add(op.name())) {
          continue;
        }
        if (op.type().equals("MatMul") && weightShapes.contains(op.output(0).shape())
            && op.input(0).shape().get(0) < 0 && op.input(1).shape().get(0) < 0) {
          found++;
        }
        for (int i = 0; i < op.numInputs(); i++) {
          pending.add(op.input(i).op());
        }
      }
      return found;
    }
  }

  /** The signature's outputs and the gradient of mean(pooled_output^2) for every adapter variable, flattened. */
  private static Map<String, float[]> outputsAndGradients(AdapterPlan plan, UpdateForm form,
      GemmPrecision precision) {
    try (AdaptedGraph adapted = rewrite(plan, form, precision)) {
      Graph graph = adapted.graph();
      Output<?>[] gradients = adapterGradients(adapted);
      List<AdapterVariable> trainable = adapted.trainableVariables();
      // LoRA starts with up = 0, where the down factors get no gradient: give the ups seeded values first.
      Ops tf = Ops.create(graph).withSubScope("test_ups");
      List<Op> liveUps = new ArrayList<>();
      Random random = new Random(5);
      for (AdapterVariable v : trainable) {
        if (v.group().equals(AdapterVariable.LORA_UP)) {
          float[] values = new float[(int) v.size()];
          for (int i = 0; i < values.length; i++) {
            values[i] = (float) (0.3 * random.nextGaussian());
          }
          liveUps.add(tf.assignVariableOp(graph.operationOrThrow(v.name()).output(0), tf.reshape(
              tf.constant(values), tf.constant(v.shape().stream().mapToLong(Long::longValue).toArray()))));
        }
      }
      try (Session session = adapted.newSession()) {
        TinyEncoder.assign(graph, session, toy.weights());
        adapted.packBaseWeights(session);
        session.runner().addTarget(adapted.initOp()).run().close();
        if (!liveUps.isEmpty()) {
          Session.Runner assign = session.runner();
          liveUps.forEach(assign::addTarget);
          assign.run().close();
        }
        Map<String, float[]> values = new LinkedHashMap<>(TinyEncoder.outputs(adapted.outputs(), session, toy.x()));
        try (TFloat32 x = TFloat32.tensorOf(StdArrays.ndCopyOf(toy.x()));
            TInt32 segments = TInt32.vectorOf(TinyEncoder.SEGMENTS)) {
          Session.Runner runner = session.runner().feed("x:0", x).feed("segment_ids:0", segments);
          for (Output<?> g : gradients) {
            runner.fetch(g);
          }
          try (Result result = runner.run()) {
            List<float[]> flat = FloatArrays.flat(result, gradients.length);
            for (int i = 0; i < trainable.size(); i++) {
              values.put("d/d " + trainable.get(i).name(), flat.get(i));
            }
          }
        }
        return values;
      }
    }
  }
}
