package dev.finetune.vblora.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.types.TFloat32;

/**
 * What runs between two bfloat16 products stays bfloat16 when nothing else reads it: BERT's feed-forward block
 * (dense, bias, tanh GELU, dense) computes in bfloat16 end to end, with the values and gradients of the float32
 * stretch within bfloat16's rounding; a stretch read by anything else stays float32.
 */
class Bfloat16RegionsTest {
  private static final int N = 6;
  private static final int IN = 8;
  private static final int FFN = 16;
  private static final float[] X = FloatArrays.gaussian(N * IN, 4);

  /**
   * x [N, IN] (fed) -> dense w1, bias b1 -> GELU (BERT's tanh form) -> dense w2 -> "out"; with {@code alsoOut}, the
   * GELU's result is a second output.
   */
  private static GraphDef feedForward(boolean alsoOut) {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, IN)));
      Operand<TFloat32> w1 = tf.withName("w1").constant(matrix(IN, FFN, 1));
      Operand<TFloat32> b1 = tf.withName("b1").constant(FloatArrays.gaussian(FFN, 2));
      Operand<TFloat32> w2 = tf.withName("w2").constant(matrix(FFN, IN, 3));
      Operand<TFloat32> h = tf.withName("bias_add").nn.biasAdd(tf.withName("up").linalg.matMul(x, w1), b1);
      Operand<TFloat32> cube = tf.math.pow(h, tf.constant(3f));
      Operand<TFloat32> inner = tf.math.mul(tf.math.add(h, tf.math.mul(cube, tf.constant(0.044715f))),
          tf.constant((float) Math.sqrt(2 / Math.PI)));
      Operand<TFloat32> gelu = tf.withName("gelu").math.mul(h,
          tf.math.mul(tf.math.add(tf.constant(1f), tf.math.tanh(inner)), tf.constant(0.5f)));
      tf.withName("out").linalg.matMul(gelu, w2);
      if (alsoOut) {
        tf.withName("gelu_out").identity(gelu);
      }
      return g.toGraphDef();
    }
  }

  private static GraphDef bfloat16(GraphDef graph) {
    return Bfloat16Gemms.rewrite(graph, List.of("x"));
  }

  private static float[][] matrix(int rows, int cols, long seed) {
    float[] flat = FloatArrays.gaussian(rows * cols, seed);
    float[][] out = new float[rows][cols];
    for (int i = 0; i < rows; i++) {
      System.arraycopy(flat, i * cols, out[i], 0, cols);
    }
    return out;
  }

  /** out, and the gradient of sum(out^2) with respect to x. */
  private static List<float[]> outputAndGradient(GraphDef graph) {
    try (Graph g = new Graph()) {
      g.importGraphDef(graph);
      Ops tf = Ops.create(g);
      Output<TFloat32> out = g.outputOrThrow("out:0").expect(TFloat32.class);
      Operand<TFloat32> loss = tf.reduceSum(tf.math.square(out), tf.constant(new int[] {0, 1}));
      Output<?>[] grads = g.addGradients(loss.asOutput(), new Output<?>[] {g.outputOrThrow("x:0")});
      try (Session s = new Session(g);
          TFloat32 x = TFloat32.tensorOf(Shape.of(N, IN), DataBuffers.of(X, true, false));
          Result r = s.runner().feed("x:0", x).fetch(out).fetch(grads[0]).run()) {
        return FloatArrays.flat(r, 2);
      }
    }
  }

  @Test
  void theFeedForwardBlockBetweenTwoProductsIsOneBfloat16Stretch() {
    List<Bfloat16Regions.Region> regions = Bfloat16Regions.find(bfloat16(feedForward(false)), List.of("out"));
    assertEquals(1, regions.size());
    Bfloat16Regions.Region region = regions.get(0);
    assertEquals(List.of("up"), List.copyOf(region.opens()), "the cast back after the first product opens it");
    assertEquals(List.of("out/bfloat16/input_0"), List.copyOf(region.closes()));
    assertTrue(region.ops().containsAll(List.of("bias_add", "gelu")), region.ops().toString());
    GraphDef rewritten = Bfloat16Regions.rewrite(bfloat16(feedForward(false)), List.of("out"));
    NodeIndex index = new NodeIndex(rewritten);
    assertEquals("Identity", index.node("up").getOp());
    assertEquals(DataType.DT_BFLOAT16, index.node("gelu").getAttrOrThrow("T").getType());
    assertEquals(DataType.DT_BFLOAT16, index.node("bias_add").getAttrOrThrow("T").getType());
    assertEquals("Cast", index.node("out").getOp(), "the last product's result is float32 as before");
  }

  @Test
  void itsValuesAndGradientsAreTheFloat32StretchsWithinBfloat16Rounding() {
    List<float[]> float32Stretch = outputAndGradient(bfloat16(feedForward(false)));
    List<float[]> bfloat16Stretch = outputAndGradient(Bfloat16Regions.rewrite(bfloat16(feedForward(false)),
        List.of("out")));
    // The stretch rounds its bias add, GELU and their gradients to bfloat16 (2^-8 relative); the products
    // already read bfloat16 operands in both graphs.
    FloatArrays.assertClose(float32Stretch.get(0), bfloat16Stretch.get(0), 3e-2, "out");
    FloatArrays.assertClose(float32Stretch.get(1), bfloat16Stretch.get(1), 5e-2, "dx");
    // ... and both against float32, so the comparison is not between two equally wrong graphs.
    List<float[]> exact = outputAndGradient(feedForward(false));
    FloatArrays.assertClose(exact.get(0), bfloat16Stretch.get(0), 5e-2, "out against float32");
    FloatArrays.assertClose(exact.get(1), bfloat16Stretch.get(1), 8e-2, "dx against float32");
  }

  @Test
  void aStretchReadElsewhereStaysFloat32() {
    GraphDef graph = bfloat16(feedForward(true));
    assertTrue(Bfloat16Regions.find(graph, List.of("out", "gelu_out")).isEmpty());
    assertEquals(graph, Bfloat16Regions.rewrite(graph, List.of("out", "gelu_out")));
    GraphDef plain = bfloat16(feedForward(false));
    assertTrue(Bfloat16Regions.find(plain, List.of("out", "gelu")).isEmpty(), "a signature output inside");
  }

  @Test
  void twoProductsInARowLoseTheirRoundTripThroughFloat32() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, IN)));
      Operand<TFloat32> first = tf.withName("first").linalg.matMul(x, tf.constant(matrix(IN, IN, 5)));
      tf.withName("out").linalg.matMul(first, tf.constant(matrix(IN, IN, 6)));
      GraphDef graph = bfloat16(g.toGraphDef());
      GraphDef rewritten = Bfloat16Regions.rewrite(graph, List.of("out"));
      assertEquals("Identity", new NodeIndex(rewritten).node("first").getOp());
      // Fetched by name, the first product keeps its float32 result.
      assertEquals(graph, Bfloat16Regions.rewrite(graph, List.of("first", "out")), "a fetched product");
      // bfloat16 -> float32 -> bfloat16 is exact, so the identities change no value.
      FloatArrays.assertClose(outputAndGradient(graph).get(0), outputAndGradient(rewritten).get(0), 0, "out");
      FloatArrays.assertClose(outputAndGradient(graph).get(1), outputAndGradient(rewritten).get(1), 0, "dx");
    }
  }
}
