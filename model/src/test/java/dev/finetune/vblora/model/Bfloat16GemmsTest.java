package dev.finetune.vblora.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.linalg.MatMul;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.types.TFloat32;

/**
 * The bfloat16 policy on an exported graph: the data path's products compute on bfloat16 operands, what no input
 * reaches stays float32, consumers see the same names, and gradients flow through the casts.
 */
class Bfloat16GemmsTest {
  /*
   * Each value is a few tenths of a percent from a bfloat16 number with at most three significant bits, so rounding
   * the operands moves every product visibly (up to 1.5%), while every sum of rounded products, partial sums
   * included, is exact in bfloat16: the expected y then depends on neither the kernel's accumulation order nor how
   * it rounds its float32 result to bfloat16, which differ between CPUs (an AMD EPYC host truncated where others
   * round to nearest).
   */
  private static final float[][] X = {{1.0039f, -1.9961f, 0.50195f}, {3.0077f, 0.25097f, -1.0039f}};
  private static final float[][] W = {{2.0077f, 0.25097f, -0.50195f, 1.0039f}, {1.0039f, -0.50195f, 0.25097f, 1.9961f},
      {-1.0039f, 0.75f, 0.125f, -0.0625f}};

  /** x [2, 3] (fed) times the constant w [3, 4]; beside it w^T w, which no input reaches. */
  private static GraphDef toy() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 3)));
      Operand<TFloat32> w = tf.withName("w").constant(W);
      tf.withName("y").linalg.matMul(x, w);
      tf.withName("gram").linalg.matMul(w, w, MatMul.transposeA(true));
      return g.toGraphDef();
    }
  }

  /** bfloat16 rounds to nearest even on 8 bits of mantissa: the top 16 bits of the float32. */
  private static float toBfloat16(float v) {
    int bits = Float.floatToRawIntBits(v);
    int rounded = bits + 0x7FFF + ((bits >>> 16) & 1);
    return Float.intBitsToFloat(rounded & 0xFFFF0000);
  }

  private static float[][] product(float[][] a, float[][] b, boolean roundOperands) {
    float[][] out = new float[a.length][b[0].length];
    for (int i = 0; i < a.length; i++) {
      for (int j = 0; j < b[0].length; j++) {
        double sum = 0;
        for (int k = 0; k < b.length; k++) {
          float x = roundOperands ? toBfloat16(a[i][k]) : a[i][k];
          float y = roundOperands ? toBfloat16(b[k][j]) : b[k][j];
          sum += (double) x * y;
        }
        out[i][j] = (float) sum;
      }
    }
    return out;
  }

  private static List<float[][]> run(GraphDef graph, String... fetches) {
    try (Graph g = new Graph()) {
      g.importGraphDef(graph);
      try (Session s = new Session(g); TFloat32 x = TFloat32.tensorOf(StdArrays.ndCopyOf(X))) {
        Session.Runner runner = s.runner().feed("x:0", x);
        for (String f : fetches) {
          runner.fetch(f);
        }
        try (Result r = runner.run()) {
          List<float[][]> out = new ArrayList<>();
          for (int i = 0; i < fetches.length; i++) {
            out.add(StdArrays.array2dCopyOf((TFloat32) r.get(i)));
          }
          return out;
        }
      }
    }
  }

  private static void assertClose(float[][] expected, float[][] actual, double tolerance, String what) {
    for (int i = 0; i < expected.length; i++) {
      for (int j = 0; j < expected[0].length; j++) {
        assertEquals(expected[i][j], actual[i][j], tolerance * Math.max(1, Math.abs(expected[i][j])),
            what + " [" + i + "][" + j + "]");
      }
    }
  }

  @Test
  void aDataPathProductComputesOnBfloat16OperandsAndKeepsItsName() {
    GraphDef rewritten = Bfloat16Gemms.rewrite(toy(), List.of("x"));
    NodeIndex index = new NodeIndex(rewritten);
    assertEquals("Cast", index.node("y").getOp(), "y is now the cast back to float32");
    assertEquals(DataType.DT_BFLOAT16, index.node("y/bfloat16").getAttrOrThrow("T").getType());
    float[][] y = run(rewritten, "y").get(0);
    // Operands rounded to bfloat16, the sum in (at least) float32, the result stored as bfloat16 before the cast
    // back: the rounded product of the rounded operands.
    float[][] expected = product(X, W, true);
    for (float[] row : expected) {
      for (int j = 0; j < row.length; j++) {
        row[j] = toBfloat16(row[j]);
      }
    }
    assertClose(expected, y, 1e-6, "y");
    // ... and not the float32 product: the inputs were chosen so that rounding shows.
    float[][] exact = product(X, W, false);
    assertNotEquals(exact[0][0], y[0][0]);
    assertClose(exact, y, 2e-2, "y against float32");
  }

  @Test
  void aProductNoInputReachesStaysFloat32() {
    GraphDef rewritten = Bfloat16Gemms.rewrite(toy(), List.of("x"));
    NodeIndex index = new NodeIndex(rewritten);
    assertEquals("MatMul", index.node("gram").getOp());
    assertClose(product(GraphRewriterTest.transpose(W), W, false), run(rewritten, "gram").get(0), 1e-6, "gram");
  }

  @Test
  void withoutADataPathNothingChanges() {
    GraphDef graph = toy();
    assertEquals(graph, Bfloat16Gemms.rewrite(graph, List.of("no_such_input")));
  }

  @Test
  void gradientsFlowThroughTheCasts() {
    try (Graph g = new Graph()) {
      g.importGraphDef(Bfloat16Gemms.rewrite(toy(), List.of("x")));
      Ops tf = Ops.create(g);
      Output<TFloat32> y = g.outputOrThrow("y:0").expect(TFloat32.class);
      Output<TFloat32> x = g.outputOrThrow("x:0").expect(TFloat32.class);
      Operand<TFloat32> loss = tf.reduceSum(y, tf.constant(new int[] {0, 1}));
      Output<?>[] grads = g.addGradients(loss.asOutput(), new Output<?>[] {x});
      try (Session s = new Session(g); TFloat32 feed = TFloat32.tensorOf(StdArrays.ndCopyOf(X));
          Result r = s.runner().feed("x:0", feed).fetch(grads[0]).run()) {
        float[][] dx = StdArrays.array2dCopyOf((TFloat32) r.get(0));
        // d sum(x w) / dx[i][k] = sum_j w[k][j], from w rounded to bfloat16 (the backward product's operand).
        for (int i = 0; i < X.length; i++) {
          for (int k = 0; k < W.length; k++) {
            double expected = 0;
            for (float v : W[k]) {
              expected += toBfloat16(v);
            }
            assertEquals(expected, dx[i][k], 1e-2 * Math.max(1, Math.abs(expected)), "dx[" + i + "][" + k + "]");
          }
        }
      }
    }
  }

  /** The policy on a spliced adapter: the model's products and the merged update's move, the delta does not. */
  @Test
  void anAdaptedEncoderInBfloat16StaysCloseToFloat32AndItsDeltaIsExact() {
    TinyEncoder.Fixture toy = TinyEncoder.fixture("serving_default", 5);
    VbLoraConfig config = VbLoraConfig.builder().numVectors(6).vectorLength(4).rank(2).topk(2).seed(11)
        .initLogitsStd(1.0).build();
    VbLoraPlan plan = VbLoraPlan.of(toy.kernels(), config);
    try (AdaptedGraph fp32 = GraphRewriter.rewrite(toy.metaGraph(), "serving_default", plan, Path.of("unused"),
            UpdateForm.MERGED, GemmPrecision.FLOAT32);
        AdaptedGraph bf16 = GraphRewriter.rewrite(toy.metaGraph(), "serving_default", plan, Path.of("unused"),
            UpdateForm.MERGED, GemmPrecision.BFLOAT16)) {
      long products = bf16.graph().toGraphDef().getNodeList().stream()
          .filter(n -> n.getOp().equals("MatMul") && n.getAttrOrThrow("T").getType() == DataType.DT_BFLOAT16)
          .count();
      assertTrue(products >= toy.kernels().size(), "every adapted kernel's product and more: " + products);
      for (NodeDef n : bf16.graph().toGraphDef().getNodeList()) {
        if (n.getName().contains("delta") && n.getOp().equals("MatMul")) {
          assertEquals(DataType.DT_FLOAT, n.getAttrOrThrow("T").getType(), n.getName());
        }
      }
      Map<String, float[]> expected = TinyEncoder.outputsAndDeltas(fp32, toy);
      Map<String, float[]> actual = TinyEncoder.outputsAndDeltas(bf16, toy);
      assertEquals(expected.keySet(), actual.keySet());
      expected.forEach((name, values) -> {
        float[] got = actual.get(name);
        double scale = 0;
        for (float v : values) {
          scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < values.length; i++) {
          double tolerance = name.startsWith("delta:") ? 0 : 3e-2 * Math.max(1, scale);
          assertEquals(values[i], got[i], tolerance, name + "[" + i + "]");
        }
      });
    }
  }
}
