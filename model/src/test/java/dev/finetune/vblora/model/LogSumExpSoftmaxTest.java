package dev.finetune.vblora.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TFloat32;

/**
 * The softmax written from the log-sum-exp: the softmax's values and its gradient (checked against plain-Java math
 * and against TensorFlow's own Softmax), masked logits included; only float32 Softmax ops of the data path change.
 */
class LogSumExpSoftmaxTest {
  private static final List<String> IN = List.of("p");
  private static final List<String> OUT = List.of("out");
  private static final int ROWS = 2 * 3;
  private static final int WIDTH = 6;
  private static final float SCALE = 1.7f;
  /** Per batch row, added to every logit of its 3 rows: unmasked, BERT's -1e4, Keras' -1e9, the float's lowest. */
  private static final float[][] MASK = {
      {0f, 0f, -10000f, 0f, -1e9f, 0f},
      {-Float.MAX_VALUE, 0f, 0f, -10000f, 0f, 0f}};
  private static final float[] WEIGHTS = {0.5f, -1.25f, 2f, 0.75f, -0.3f, 1.1f};
  private static final float[] P = new float[ROWS * WIDTH];

  static {
    for (int i = 0; i < P.length; i++) {
      P[i] = (float) (3 * Math.sin(1.3 * i + 0.4)); // logits up to |5.1| after the scale
    }
  }

  /** p [2, 3, 6] fed, logits = p * 1.7 + mask [2, 1, 6], probs = Softmax(logits), out = probs * weights. */
  private static GraphDef model() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Operand<TFloat32> p = tf.withName("p").placeholder(TFloat32.class);
      Operand<TFloat32> mask = tf.reshape(tf.constant(MASK), tf.constant(new long[] {2, 1, WIDTH}));
      Operand<TFloat32> logits = tf.math.add(tf.math.mul(p, tf.constant(SCALE)), mask);
      Operand<TFloat32> probs = tf.withName("probs").nn.softmax(logits);
      tf.withName("out").math.mul(probs, tf.constant(WEIGHTS));
      return g.toGraphDef();
    }
  }

  /** probs, out and d sum(out) / dp. */
  private static List<float[]> valuesAndGradient(GraphDef graph) {
    return FedGraph.valuesAndGradient(graph, Shape.of(2, 3, WIDTH), P, "probs:0");
  }

  /** The softmax of each row in double precision, and d sum(softmax * weights) / dp = scale y (w - sum(w y)). */
  private static double[][] reference() {
    double[] probs = new double[P.length];
    double[] grad = new double[P.length];
    for (int row = 0; row < ROWS; row++) {
      double[] logits = new double[WIDTH];
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < WIDTH; j++) {
        // In float32, as the graph computes them: -Float.MAX_VALUE plus a few stays itself, -1e9 + 5 rounds to -1e9.
        float logit = P[row * WIDTH + j] * SCALE + MASK[row / 3][j];
        logits[j] = logit;
        max = Math.max(max, logits[j]);
      }
      double sum = 0;
      for (int j = 0; j < WIDTH; j++) {
        sum += Math.exp(logits[j] - max);
      }
      double expected = 0;
      for (int j = 0; j < WIDTH; j++) {
        probs[row * WIDTH + j] = Math.exp(logits[j] - max) / sum;
        expected += WEIGHTS[j] * probs[row * WIDTH + j];
      }
      for (int j = 0; j < WIDTH; j++) {
        grad[row * WIDTH + j] = SCALE * probs[row * WIDTH + j] * (WEIGHTS[j] - expected);
      }
    }
    return new double[][] {probs, grad};
  }

  private static void assertClose(double[] expected, float[] actual, double tolerance, String what) {
    assertEquals(expected.length, actual.length, what);
    for (int i = 0; i < expected.length; i++) {
      assertTrue(Math.abs(expected[i] - actual[i]) <= tolerance, what + "[" + i + "]: expected " + expected[i]
          + ", got " + actual[i]);
    }
  }

  @Test
  void theRewrittenSoftmaxHasTheSoftmaxsValuesAndGradientMaskedLogitsIncluded() {
    GraphDef rewritten = LogSumExpSoftmax.rewrite(model(), IN, OUT);
    double[][] expected = reference();
    List<float[]> after = valuesAndGradient(rewritten);
    List<float[]> before = valuesAndGradient(model());
    assertClose(expected[0], after.get(0), 1e-6, "probs");
    assertClose(expected[1], after.get(1), 1e-6, "d/dp");
    // TensorFlow's own Softmax meets the same reference, so the two graphs agree with each other as closely.
    assertClose(expected[0], before.get(0), 1e-6, "TensorFlow's probs");
    assertClose(expected[1], before.get(1), 1e-6, "TensorFlow's d/dp");
    // The masked logits get exactly nothing (either zero's sign), as from TensorFlow's Softmax.
    assertEquals(0.0, after.get(0)[2], 0.0);
    assertEquals(0.0, after.get(0)[4], 0.0);
    assertEquals(0.0, after.get(0)[3 * WIDTH], 0.0);
    assertEquals(0.0, after.get(1)[3 * WIDTH], 0.0);
  }

  @Test
  void theSoftmaxBecomesOneMarkedLogSumExpFormUnderItsOwnName() {
    GraphDef rewritten = LogSumExpSoftmax.rewrite(model(), IN, OUT);
    assertEquals(0, rewritten.getNodeList().stream().filter(n -> n.getOp().equals("Softmax")).count());
    assertEquals(1, rewritten.getNodeList().stream().filter(n -> n.getOp().equals("IdentityN")
        && MarkerGradients.isMarker(n.getName(), LogSumExpSoftmax.MARKER)).count());
    assertEquals("Identity", rewritten.getNodeList().stream().filter(n -> n.getName().equals("probs")).findFirst()
        .orElseThrow().getOp());
    // One exponential feeds the sum alone and one forms the output: no division by the sum is left.
    assertEquals(2, rewritten.getNodeList().stream().filter(n -> n.getOp().equals("Exp")).count());
    assertEquals(0, rewritten.getNodeList().stream().filter(n -> n.getOp().equals("RealDiv")).count());
  }

  @Test
  void softmaxesOffTheDataPathOrNotInFloat32AreLeftAsTheyAre() {
    GraphDef graph;
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Operand<TFloat32> p = tf.withName("p").placeholder(TFloat32.class);
      // Off the path: a softmax of constants, read by the output.
      Operand<TFloat32> prior = tf.withName("prior").nn.softmax(tf.constant(new float[] {1f, 2f, 3f}));
      // In bfloat16: the model's own, whose rounding this form does not reproduce.
      Operand<TFloat32> half = tf.dtypes.cast(tf.withName("half").nn.softmax(tf.dtypes.cast(p, TBfloat16.class)),
          TFloat32.class);
      tf.withName("out").math.mul(half, prior);
      graph = g.toGraphDef();
    }
    assertSame(graph, LogSumExpSoftmax.rewrite(graph, IN, OUT));
  }

  /**
   * A Softmax that computes a signature output, directly or through Identity, stays a Softmax: a loss on the model's
   * own probabilities finds the logits behind it by walking back from the output to a Softmax op.
   */
  @Test
  void aSoftmaxThatComputesAnOutputIsLeftForTheLossThatReadsItsLogits() {
    GraphDef direct;
    GraphDef wrapped;
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Operand<TFloat32> p = tf.withName("p").placeholder(TFloat32.class);
      tf.withName("out").nn.softmax(tf.math.mul(p, tf.constant(SCALE)));
      direct = g.toGraphDef();
    }
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Operand<TFloat32> p = tf.withName("p").placeholder(TFloat32.class);
      tf.withName("out").identity(tf.withName("probs").nn.softmax(tf.math.mul(p, tf.constant(SCALE))));
      wrapped = g.toGraphDef();
    }
    assertSame(direct, LogSumExpSoftmax.rewrite(direct, IN, OUT));
    assertSame(wrapped, LogSumExpSoftmax.rewrite(wrapped, IN, OUT));
  }
}
