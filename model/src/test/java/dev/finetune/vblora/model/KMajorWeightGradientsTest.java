package dev.finetune.vblora.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.linalg.MatMul;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.types.TFloat32;

/**
 * Merged-update products whose weight gradient reads the activation transposed behind an XLA barrier: the same
 * outputs and the same gradients as TensorFlow's own, one transposed activation per activation, and products that
 * are not merged updates (or are transposed) left alone.
 */
class KMajorWeightGradientsTest {
  private static final int ROWS = 5;
  private static final int IN = 3;
  private static final int OUT = 4;
  private static final float[] A = floats(ROWS * IN, 0.37f);
  private static final float[] D1 = floats(IN * OUT, -0.21f);
  private static final float[] D2 = floats(IN * OUT, 0.13f);
  private static final float[] C1 = floats(ROWS * OUT, 0.58f);
  private static final List<String> DELTAS = List.of("q/delta_weight:0", "v/delta_weight");

  /**
   * a [5, 3] and the deltas d1, d2 [3, 4] fed; x = tanh(a); q = x (W1 + d1), v = x (W2 + d2) (merged updates of one
   * activation), k = x W3 (no delta), t = x (W1 + d1)^T-free spelled with transpose_b, loss = sum(q c1) + sum(v^2)
   * + sum(k) + sum(t).
   */
  private static GraphDef model() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Operand<TFloat32> a = tf.withName("a").placeholder(TFloat32.class);
      Operand<TFloat32> x = tf.withName("x").math.tanh(a);
      Ops qScope = tf.withSubScope("q");
      Ops vScope = tf.withSubScope("v");
      Operand<TFloat32> d1 = qScope.withName("delta_weight").identity(tf.withName("d1").placeholder(TFloat32.class));
      Operand<TFloat32> d2 = vScope.withName("delta_weight").identity(tf.withName("d2").placeholder(TFloat32.class));
      Operand<TFloat32> w1 = tf.math.add(constant(tf, IN, OUT, 0.11f), d1);
      Operand<TFloat32> w2 = tf.math.add(constant(tf, IN, OUT, -0.07f), d2);
      Operand<TFloat32> q = qScope.withName("MatMul").linalg.matMul(x, w1);
      Operand<TFloat32> v = vScope.withName("MatMul").linalg.matMul(x, w2);
      Operand<TFloat32> k = tf.withSubScope("k").withName("MatMul").linalg.matMul(x, constant(tf, IN, OUT, 0.05f));
      Operand<TFloat32> t = tf.withSubScope("t").withName("MatMul").linalg.matMul(x,
          tf.math.add(constant(tf, OUT, IN, 0.03f), tf.linalg.transpose(d1, tf.constant(new int[] {1, 0}))),
          MatMul.transposeB(true));
      Operand<TFloat32> c1 = tf.constant(Shape.of(ROWS, OUT), DataBuffers.of(C1));
      tf.withName("loss").math.addN(List.of(sum(tf, tf.math.mul(q, c1)), sum(tf, tf.math.square(v)), sum(tf, k),
          sum(tf, t)));
      return g.toGraphDef();
    }
  }

  @Test
  void theMergedProductsOfOneActivationShareOneTransposedCopyBehindABarrier() {
    GraphDef rewritten = KMajorWeightGradients.rewrite(model(), DELTAS);

    assertEquals(2, count(rewritten, "IdentityN"), "one marker per merged product");
    assertEquals(1, count(rewritten, "XlaOptimizationBarrier"), "q and v read one x^T");
    assertEquals("Identity", node(rewritten, "q/MatMul").getOp(), "the product keeps its name for its readers");
    assertEquals("Identity", node(rewritten, "v/MatMul").getOp());
    assertEquals("MatMul", node(rewritten, "k/MatMul").getOp(), "no delta: TensorFlow's gradient is kept");
    assertEquals("MatMul", node(rewritten, "t/MatMul").getOp(), "transpose_b: TensorFlow's gradient is kept");
    // The weight gradients read x^T as it is: two products without transposes, the barrier their first operand.
    try (Graph g = new Graph()) {
      g.importGraphDef(rewritten);
      g.addGradients(g.outputOrThrow("loss:0"), new Output<?>[] {g.outputOrThrow("d1:0"), g.outputOrThrow("d2:0")});
      GraphOperation barrier = null;
      for (Iterator<GraphOperation> it = g.operations(); it.hasNext(); ) {
        GraphOperation op = it.next();
        barrier = op.type().equals("XlaOptimizationBarrier") ? op : barrier;
      }
      int readers = 0;
      for (NodeDef n : g.toGraphDef().getNodeList()) {
        readers += n.getOp().equals("MatMul") && n.getInput(0).equals(barrier.name())
            && !n.getAttrOrThrow("transpose_a").getB() && !n.getAttrOrThrow("transpose_b").getB() ? 1 : 0;
      }
      assertEquals(2, readers, "dW of q and of v from x^T");
    }
  }

  @Test
  void outputsAndGradientsEqualTensorFlowsOwn() {
    List<float[]> before = run(model());
    List<float[]> after = run(KMajorWeightGradients.rewrite(model(), DELTAS));
    String[] what = {"q", "v", "dloss/da", "dloss/dd1", "dloss/dd2"};
    for (int i = 0; i < what.length; i++) {
      assertClose(before.get(i), after.get(i), 1e-6f, what[i]);
    }
  }

  @Test
  void theWeightGradientIsTheTransposedActivationTimesTheOutputsGradient() {
    // dloss/dd1 = x^T (c1 + dt^T part): the t product reads d1 too, through TensorFlow's gradient; subtract it by
    // computing q's share alone in plain Java, x^T c1, and t's share, (x^T 1)^T spread over d1's transpose.
    float[] dd1 = run(KMajorWeightGradients.rewrite(model(), DELTAS)).get(3);
    float[] expected = new float[IN * OUT];
    for (int i = 0; i < IN; i++) {
      for (int o = 0; o < OUT; o++) {
        double sum = 0;
        for (int n = 0; n < ROWS; n++) {
          double x = Math.tanh(A[n * IN + i]);
          sum += x * C1[n * OUT + o] + x; // q's c1 weights, and t's all-ones gradient through d1^T
        }
        expected[i * OUT + o] = (float) sum;
      }
    }
    assertClose(expected, dd1, 1e-5f, "dloss/dd1 against plain Java");
  }

  @Test
  void aGraphWithoutMergedProductsIsReturnedAsItIs() {
    GraphDef graph = model();
    assertSame(graph, KMajorWeightGradients.rewrite(graph, List.of("no/such/delta")));
  }

  /** q, v, and the loss's gradients with respect to a, d1 and d2. */
  private static List<float[]> run(GraphDef graph) {
    try (Graph g = new Graph()) {
      g.importGraphDef(graph);
      Output<?>[] grads = g.addGradients(g.outputOrThrow("loss:0"), new Output<?>[] {
          g.outputOrThrow("a:0"), g.outputOrThrow("d1:0"), g.outputOrThrow("d2:0")});
      try (Session s = new Session(g);
          TFloat32 a = TFloat32.tensorOf(Shape.of(ROWS, IN), DataBuffers.of(A));
          TFloat32 d1 = TFloat32.tensorOf(Shape.of(IN, OUT), DataBuffers.of(D1));
          TFloat32 d2 = TFloat32.tensorOf(Shape.of(IN, OUT), DataBuffers.of(D2));
          Result r = s.runner().feed("a:0", a).feed("d1:0", d1).feed("d2:0", d2).fetch("q/MatMul:0")
              .fetch("v/MatMul:0").fetch(grads[0]).fetch(grads[1]).fetch(grads[2]).run()) {
        List<float[]> out = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
          out.add(values((TFloat32) r.get(i)));
        }
        return out;
      }
    }
  }

  private static Operand<TFloat32> constant(Ops tf, int rows, int cols, float seed) {
    return tf.constant(Shape.of(rows, cols), DataBuffers.of(floats(rows * cols, seed)));
  }

  private static Operand<TFloat32> sum(Ops tf, Operand<TFloat32> t) {
    return tf.reduceSum(t, tf.constant(new int[] {0, 1}));
  }

  /** Deterministic values in about [-1, 1]. */
  private static float[] floats(int n, float seed) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) Math.sin(seed * 7 + i * 1.3);
    }
    return out;
  }

  private static float[] values(TFloat32 t) {
    float[] out = new float[(int) t.size()];
    t.asRawTensor().data().asFloats().read(out);
    return out;
  }

  private static int count(GraphDef graph, String op) {
    return (int) graph.getNodeList().stream().filter(n -> n.getOp().equals(op)).count();
  }

  private static NodeDef node(GraphDef graph, String name) {
    return graph.getNodeList().stream().filter(n -> n.getName().equals(name)).findFirst().orElseThrow();
  }

  private static void assertClose(float[] expected, float[] actual, float tolerance, String what) {
    assertEquals(expected.length, actual.length, what);
    for (int i = 0; i < expected.length; i++) {
      assertTrue(Math.abs(expected[i] - actual[i]) <= tolerance * Math.max(1, Math.abs(expected[i])),
          what + "[" + i + "]: " + expected[i] + " vs " + actual[i]);
    }
  }
}
