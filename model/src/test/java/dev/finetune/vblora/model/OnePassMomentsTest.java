package dev.finetune.vblora.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.math.Mean;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.types.TFloat32;

/**
 * tf.nn.moments' variance in one pass with its mean: a LayerNorm written as TF1 BERT and bert-for-tf2 write it gives,
 * after the rewrite, the LayerNorm of plain double-precision arithmetic and the untouched graph's input gradient,
 * also on rows where a one-pass variance is at risk (far from 0, constant, an outlier first), in both one-pass forms;
 * anything that is not that pattern is left alone.
 */
class OnePassMomentsTest {
  private static final float EPSILON = 1e-12f;
  private static final List<String> IN = List.of("p");
  private static final List<String> OUT = List.of("out");

  /**
   * p [rows, n] fed (or [2, rows / 2, n] with {@code rank3}), y = LayerNorm(p) over the last axis (given as
   * {@code axis}) with tf.nn.moments' ops, out = y * w for fixed w, so that the input gradient depends on the rows.
   */
  private static GraphDef layerNorm(int rows, int n, boolean rank3, int axis) {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Operand<TFloat32> p = tf.withName("p").placeholder(TFloat32.class);
      Operand<TFloat32> x = rank3 ? tf.reshape(p, tf.constant(new int[] {2, rows / 2, n})) : p;
      Operand<TFloat32> mean = tf.withName("moments_mean").math.mean(x, tf.constant(new int[] {axis}),
          Mean.keepDims(true));
      Operand<TFloat32> variance = tf.withName("moments_variance").math.mean(
          tf.math.squaredDifference(x, tf.stopGradient(mean)), tf.constant(new int[] {axis}), Mean.keepDims(true));
      Operand<TFloat32> y = tf.math.mul(tf.math.sub(x, mean), tf.math.rsqrt(tf.math.add(variance,
          tf.constant(EPSILON))));
      Operand<TFloat32> flat = tf.reshape(y, tf.constant(new int[] {rows, n}));
      tf.withName("out").math.mul(flat, tf.constant(weights(n)));
      return g.toGraphDef();
    }
  }

  private static float[] weights(int n) {
    float[] w = new float[n];
    for (int i = 0; i < n; i++) {
      w[i] = 0.5f + 0.25f * i;
    }
    return w;
  }

  /** out and d sum(out) / dp for {@code rows}. */
  private static List<float[]> outputAndGradient(GraphDef graph, float[][] rows) {
    int n = rows[0].length;
    float[] flat = new float[rows.length * n];
    for (int r = 0; r < rows.length; r++) {
      System.arraycopy(rows[r], 0, flat, r * n, n);
    }
    return FedGraph.valuesAndGradient(graph, Shape.of(rows.length, n), flat, "out:0");
  }

  /** LayerNorm(row) * w in double precision, from the float inputs. */
  private static double[] reference(float[] row) {
    int n = row.length;
    double mean = 0;
    for (float v : row) {
      mean += v;
    }
    mean /= n;
    double variance = 0;
    for (float v : row) {
      variance += (v - mean) * (v - mean);
    }
    variance /= n;
    float[] w = weights(n);
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      out[i] = (row[i] - mean) / Math.sqrt(variance + EPSILON) * w[i];
    }
    return out;
  }

  private static float[][] randomRows(int count, int n, long seed) {
    Random random = new Random(seed);
    float[][] rows = new float[count][n];
    for (float[] row : rows) {
      for (int i = 0; i < n; i++) {
        row[i] = (float) (random.nextGaussian() * 2 + 0.5);
      }
    }
    return rows;
  }

  private static final List<MomentsForm> FORMS = List.of(MomentsForm.ONE_PASS,
      MomentsForm.ONE_PASS_EXPORTED_GRADIENT);

  private static GraphDef rewritten(GraphDef graph, MomentsForm form) {
    return OnePassMoments.rewrite(graph, IN, OUT, form);
  }

  private static NodeDef node(GraphDef graph, String name) {
    return graph.getNodeList().stream().filter(n -> n.getName().equals(name)).findFirst().orElseThrow();
  }

  /** The forward values match the double reference to {@code tolerance} of the row's largest value. */
  private static void assertMatchesReference(float[][] rows, float[] out, double tolerance) {
    int n = rows[0].length;
    for (int r = 0; r < rows.length; r++) {
      double[] expected = reference(rows[r]);
      double scale = 0;
      for (double e : expected) {
        scale = Math.max(scale, Math.abs(e));
      }
      for (int i = 0; i < n; i++) {
        assertEquals(expected[i], out[r * n + i], tolerance * Math.max(scale, 1), "row " + r + ", element " + i);
      }
    }
  }

  private static void assertClose(float[] expected, float[] actual, double relative, String what) {
    double scale = 0;
    for (float e : expected) {
      scale = Math.max(scale, Math.abs(e));
    }
    for (int i = 0; i < expected.length; i++) {
      assertTrue(Float.isFinite(actual[i]), what + " " + i + " is " + actual[i]);
      assertEquals(expected[i], actual[i], relative * Math.max(scale, 1e-6), what + " " + i);
    }
  }

  @Test
  void aLayerNormsVarianceIsFoundAndWrittenInOnePass() {
    GraphDef graph = layerNorm(4, 8, false, 1);
    List<OnePassMoments.Variance> found = OnePassMoments.find(graph, IN, OUT);
    assertEquals(List.of(new OnePassMoments.Variance("moments_variance", TensorName.parse("p"),
        TensorName.parse("moments_mean"))), found);
    for (MomentsForm form : FORMS) {
      GraphDef rewritten = rewritten(graph, form);
      assertEquals(form == MomentsForm.ONE_PASS ? "Cast" : "Identity", node(rewritten, "moments_variance").getOp(),
          "the variance keeps its name");
      assertEquals(2, rewritten.getNodeList().stream().filter(n -> n.getName().startsWith("moments_variance/"
          + OnePassMoments.SCOPE) && n.getOp().equals("Mean")).count(), "mean(x) and mean(x^2), in float64");
    }
    NodeDef marker = node(rewritten(graph, MomentsForm.ONE_PASS_EXPORTED_GRADIENT),
        "moments_variance/" + OnePassMoments.SCOPE);
    assertEquals("IdentityN", marker.getOp());
    assertEquals(List.of("moments_variance/" + OnePassMoments.SCOPE + "/value", "p:0", "moments_mean:0"),
        marker.getInputList(), "the value, x and the mean its gradient is taken around");
  }

  @Test
  void valuesAndInputGradientAreTheLayerNormsOnRandomRows() {
    GraphDef graph = layerNorm(6, 16, false, 1);
    float[][] rows = randomRows(6, 16, 7);
    List<float[]> expected = outputAndGradient(graph, rows);
    for (MomentsForm form : FORMS) {
      List<float[]> actual = outputAndGradient(rewritten(graph, form), rows);
      assertMatchesReference(rows, actual.get(0), 1e-5);
      assertClose(expected.get(1), actual.get(1), 1e-4, form + ": input gradient");
    }
  }

  /**
   * Rows whose moments float32 holds exactly (small integers, a power-of-two width) have the same variance in
   * either form, so the exported gradient form, whose backward pass is the model's own, gives the untouched graph's
   * input gradient: the same products, summed with x's other gradient paths in another order (one float32 rounding
   * step apart, measured 2026-12-05; a wrong factor or sign would move it by orders of magnitude more).
   */
  @Test
  void theExportedGradientFormTakesTheModelsBackwardPass() {
    int n = 8;
    float[][] rows = new float[4][n];
    for (int r = 0; r < rows.length; r++) {
      for (int i = 0; i < n; i++) {
        rows[r][i] = (i * (r + 3)) % 7 - 2 * r;
      }
    }
    GraphDef graph = layerNorm(4, n, false, 1);
    List<float[]> expected = outputAndGradient(graph, rows);
    List<float[]> actual = outputAndGradient(rewritten(graph, MomentsForm.ONE_PASS_EXPORTED_GRADIENT), rows);
    assertArrayEquals(expected.get(0), actual.get(0), "the same variances, so the same LayerNorm");
    assertClose(expected.get(1), actual.get(1), 1e-6, "the model's own input gradient");
  }

  /** BERT's LayerNorms are over [batch, length, width] in bert-for-tf2, the axis given as -1 or as 2. */
  @Test
  void aRank3InputOverItsLastAxisGivenEitherWay() {
    float[][] rows = randomRows(4, 8, 11);
    for (int axis : new int[] {-1, 2}) {
      GraphDef graph = layerNorm(4, 8, true, axis);
      assertEquals(1, OnePassMoments.find(graph, IN, OUT).size(), "axis " + axis);
      List<float[]> expected = outputAndGradient(graph, rows);
      for (MomentsForm form : FORMS) {
        List<float[]> actual = outputAndGradient(rewritten(graph, form), rows);
        assertMatchesReference(rows, actual.get(0), 1e-5);
        assertClose(expected.get(1), actual.get(1), 1e-4, form + ": input gradient, axis " + axis);
      }
    }
  }

  /**
   * Where mean(x^2) - mean(x)^2 cancels in float32: a row of mean 1000 and spread 1 (float64 keeps its variance), a
   * constant row (variance 0: the clamp keeps rsqrt(var + epsilon) finite even where rounding leaves the difference
   * below 0) and a row with an outlier first.
   */
  @Test
  void rowsFarFromZeroConstantOrWithAnOutlierFirstKeepTheirLayerNorm() {
    int n = 16;
    float[][] rows = randomRows(3, n, 3);
    for (int i = 0; i < n; i++) {
      rows[0][i] = 1000f + rows[0][i] / 2;
      rows[1][i] = 3.25f;
    }
    rows[2][0] = 40f;
    GraphDef graph = layerNorm(3, n, false, 1);
    List<float[]> expected = outputAndGradient(graph, rows);
    for (MomentsForm form : FORMS) {
      List<float[]> actual = outputAndGradient(rewritten(graph, form), rows);
      float[] constant = Arrays.copyOfRange(actual.get(0), n, 2 * n);
      for (float v : constant) {
        assertEquals(0f, v, 0f, form + ": a constant row normalises to 0");
      }
      assertMatchesReference(new float[][] {rows[0]}, Arrays.copyOfRange(actual.get(0), 0, n), 1e-4);
      assertMatchesReference(new float[][] {rows[2]}, Arrays.copyOfRange(actual.get(0), 2 * n, 3 * n),
          1e-5);
      assertClose(Arrays.copyOfRange(expected.get(1), 2 * n, 3 * n),
          Arrays.copyOfRange(actual.get(1), 2 * n, 3 * n), 1e-3, form + ": outlier row's gradient");
      for (float v : actual.get(1)) {
        assertTrue(Float.isFinite(v), form + ": every input gradient is finite: " + v);
      }
    }
  }

  /**
   * Moments over two axes are moments too; a "variance" whose axes are not its mean's, or whose deviation is from
   * something else than that mean, is no variance: left as it is.
   */
  @Test
  void onlyAVarianceAroundItsOwnMeanIsRewritten() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Operand<TFloat32> p = tf.withName("p").placeholder(TFloat32.class);
      Operand<TFloat32> mean = tf.math.mean(p, tf.constant(new int[] {0, 1}), Mean.keepDims(true));
      Operand<TFloat32> both = tf.withName("both").math.mean(tf.math.squaredDifference(p, tf.stopGradient(mean)),
          tf.constant(new int[] {0, 1}), Mean.keepDims(true));
      Operand<TFloat32> rowMean = tf.math.mean(p, tf.constant(new int[] {1}), Mean.keepDims(true));
      Operand<TFloat32> otherAxis = tf.math.mean(tf.math.squaredDifference(p, tf.stopGradient(rowMean)),
          tf.constant(new int[] {0}), Mean.keepDims(true));
      Operand<TFloat32> otherCentre = tf.math.mean(tf.math.squaredDifference(p, tf.stopGradient(
          tf.math.mul(rowMean, tf.constant(2f)))), tf.constant(new int[] {1}), Mean.keepDims(true));
      // Without keep_dims the [rows] mean broadcasts along the columns: each element less another row's mean.
      Operand<TFloat32> flatMean = tf.math.mean(p, tf.constant(new int[] {1}), Mean.keepDims(false));
      Operand<TFloat32> broadcast = tf.math.mean(tf.math.squaredDifference(p, tf.stopGradient(flatMean)),
          tf.constant(new int[] {1}), Mean.keepDims(true));
      tf.withName("out").math.add(tf.math.add(tf.math.add(tf.math.add(p, both), otherAxis), otherCentre),
          broadcast);
      GraphDef graph = g.toGraphDef();
      assertEquals(List.of(new OnePassMoments.Variance("both", TensorName.parse("p"),
          TensorName.parse(mean.asOutput().op().name()))),
          OnePassMoments.find(graph, IN, OUT));
    }
  }

  @Test
  void aVarianceOffTheSignaturesPathIsLeftAlone() {
    GraphDef graph = layerNorm(4, 8, false, 1);
    assertFalse(OnePassMoments.find(graph, IN, OUT).isEmpty());
    assertTrue(OnePassMoments.find(graph, List.of("unrelated"), OUT).isEmpty());
  }
}
