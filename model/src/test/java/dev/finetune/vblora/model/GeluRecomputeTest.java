package dev.finetune.vblora.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TFloat32;

/**
 * GELU recognised by what it computes, however an exporter spelled it; after the rewrite the same forward values
 * and GELU's exact derivative as the input's gradient; anything that is not a closed GELU left alone.
 */
class GeluRecomputeTest {
  private static final float[] P = {-4.5f, -2.25f, -1.1f, -0.3f, 0f, 0.2f, 0.77f, 1.5f, 2.6f, 5.25f, -0.05f, 3.3f};
  private static final float[] BIAS = {0.1f, -0.2f, 0.3f, 0.05f};
  private static final List<String> IN = List.of("p");
  private static final List<String> OUT = List.of("out");

  /** How models write GELU. */
  enum Spelling {
    /** Google's TF1 BERT: x * 0.5 (1 + tanh(sqrt(2 / pi) (x + 0.044715 pow(x, 3)))). */
    BERT_TANH,
    /** Keras / tf.nn.gelu(approximate=True): 0.5 x (1 + tanh(0.7978845608 (x + 0.044715 x^3))). */
    KERAS_TANH,
    /** tf.nn.gelu / Hugging Face: 0.5 x (1 + erf(x / sqrt 2)). */
    ERF
  }

  /** p [3, 4] (fed), x = p + bias, y = GELU(x) as {@code spelling} writes it, out = y * 3. */
  private static GraphDef model(Spelling spelling) {
    return model((tf, x) -> gelu(tf, x, spelling), false);
  }

  private static GraphDef model(BiFunction<Ops, Operand<TFloat32>, Operand<TFloat32>> activation,
      boolean bfloat16) {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Operand<TFloat32> p = tf.withName("p").placeholder(TFloat32.class);
      Operand<TFloat32> x = tf.withName("x").math.add(p, tf.constant(new float[][] {BIAS, BIAS, BIAS}));
      Operand<TFloat32> y;
      if (bfloat16) {
        Operand<TBfloat16> x16 = tf.dtypes.cast(x, TBfloat16.class);
        y = tf.dtypes.cast(geluBfloat16(tf, x16), TFloat32.class);
      } else {
        y = activation.apply(tf, x);
      }
      tf.withName("out").math.mul(y, tf.constant(3f));
      return g.toGraphDef();
    }
  }

  private static Operand<TFloat32> gelu(Ops tf, Operand<TFloat32> x, Spelling spelling) {
    Ops y = tf.withName("y");
    return switch (spelling) {
      case BERT_TANH -> {
        Operand<TFloat32> inner = tf.math.mul(tf.constant((float) Math.sqrt(2 / Math.PI)),
            tf.math.add(x, tf.math.mul(tf.constant(0.044715f), tf.math.pow(x, tf.constant(3f)))));
        Operand<TFloat32> cdf = tf.math.mul(tf.constant(0.5f), tf.math.add(tf.constant(1f), tf.math.tanh(inner)));
        yield y.math.mul(x, cdf);
      }
      case KERAS_TANH -> {
        Operand<TFloat32> cube = tf.math.mul(tf.math.mul(x, x), x);
        Operand<TFloat32> inner = tf.math.mul(tf.constant(0.7978845608f),
            tf.math.add(x, tf.math.mul(tf.constant(0.044715f), cube)));
        yield y.math.mul(tf.math.mul(tf.constant(0.5f), x), tf.math.add(tf.constant(1f), tf.math.tanh(inner)));
      }
      case ERF -> y.math.mul(tf.math.mul(tf.constant(0.5f), x),
          tf.math.add(tf.constant(1f), tf.math.erf(tf.math.div(x, tf.constant((float) Math.sqrt(2))))));
    };
  }

  /** BERT's GELU computed in bfloat16, its constants cast once, as {@link Bfloat16Regions} leaves a stretch. */
  private static Operand<TBfloat16> geluBfloat16(Ops tf, Operand<TBfloat16> x) {
    Operand<TBfloat16> inner = tf.math.mul(bf16(tf, (float) Math.sqrt(2 / Math.PI)),
        tf.math.add(x, tf.math.mul(bf16(tf, 0.044715f), tf.math.pow(x, bf16(tf, 3f)))));
    Operand<TBfloat16> cdf = tf.math.mul(bf16(tf, 0.5f), tf.math.add(bf16(tf, 1f), tf.math.tanh(inner)));
    return tf.withName("y").math.mul(x, cdf);
  }

  private static Operand<TBfloat16> bf16(Ops tf, float value) {
    return tf.dtypes.cast(tf.constant(value), TBfloat16.class);
  }

  /** out and d sum(out) / dp. */
  private static List<float[]> outputAndGradient(GraphDef graph) {
    return FedGraph.valuesAndGradient(graph, Shape.of(3, 4), P, "out:0");
  }

  /** The exact derivative of the form's GELU, in double precision. */
  private static double derivative(GeluRecompute.Form form, double x) {
    if (form == GeluRecompute.Form.TANH) {
      double c = Math.sqrt(2 / Math.PI);
      double t = Math.tanh(c * (x + 0.044715 * x * x * x));
      return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x);
    }
    return 0.5 * (1 + GeluRecompute.erf(x / Math.sqrt(2))) + x * Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI);
  }

  private static List<GeluRecompute.Gelu> find(GraphDef graph, List<String> outputs) {
    return GeluRecompute.find(graph, IN, outputs);
  }

  private static long markers(GraphDef graph, String suffix) {
    return graph.getNodeList().stream()
        .filter(n -> n.getOp().equals("IdentityN") && n.getName().endsWith("/" + suffix)).count();
  }

  @ParameterizedTest
  @EnumSource(Spelling.class)
  void eachSpellingIsFoundWithItsInputAndOutput(Spelling spelling) {
    List<GeluRecompute.Gelu> found = find(model(spelling), OUT);
    assertEquals(1, found.size());
    GeluRecompute.Gelu gelu = found.get(0);
    // The bias add is not part of it: GELU(p + bias) is not GELU(p), so its input is x, not p.
    assertEquals("x", gelu.x().node());
    assertEquals("y", gelu.y());
    assertEquals(spelling == Spelling.ERF ? GeluRecompute.Form.ERF : GeluRecompute.Form.TANH, gelu.form());
  }

  @ParameterizedTest
  @EnumSource(Spelling.class)
  void theRewriteKeepsTheValuesAndGivesGelusExactDerivative(Spelling spelling) {
    GraphDef graph = model(spelling);
    GraphDef rewritten = GeluRecompute.rewrite(graph, IN, OUT);
    GeluRecompute.Form form = spelling == Spelling.ERF ? GeluRecompute.Form.ERF : GeluRecompute.Form.TANH;
    assertEquals(1, markers(rewritten, form.marker));
    assertEquals("Identity", new NodeIndex(rewritten).node("y").getOp(), "y keeps its name for its readers");
    List<float[]> before = outputAndGradient(graph);
    List<float[]> after = outputAndGradient(rewritten);
    assertArrayEquals(before.get(0), after.get(0), "the same ops compute the forward values");
    for (int i = 0; i < P.length; i++) {
      double x = P[i] + BIAS[i % 4];
      double expected = 3 * derivative(form, x);
      assertEquals(expected, after.get(1)[i], 2e-5 * Math.max(1, Math.abs(expected)), "dp[" + i + "]");
      // TensorFlow's own gradient of the original ops agrees as well.
      assertEquals(before.get(1)[i], after.get(1)[i], 2e-5 * Math.max(1, Math.abs(expected)), "autodiff " + i);
    }
  }

  @Test
  void aBfloat16GeluIsRewrittenAndItsGradientStaysBfloat16() {
    GraphDef graph = model(null, true);
    List<GeluRecompute.Gelu> found = find(graph, OUT);
    assertEquals(1, found.size());
    assertEquals(DataType.DT_BFLOAT16, found.get(0).type());
    GraphDef rewritten = GeluRecompute.rewrite(graph, IN, OUT);
    List<float[]> before = outputAndGradient(graph);
    List<float[]> after = outputAndGradient(rewritten);
    assertArrayEquals(before.get(0), after.get(0));
    for (int i = 0; i < P.length; i++) {
      double expected = 3 * derivative(GeluRecompute.Form.TANH, P[i] + BIAS[i % 4]);
      // bfloat16 x and gradient: 8 bits of mantissa.
      assertEquals(expected, after.get(1)[i], 2e-2 * Math.max(1, Math.abs(expected)), "dp[" + i + "]");
    }
  }

  /** In bfloat16 too, a GELU scaled by 1.01 is not taken for one: the GELU is the op before the scale. */
  @Test
  void aScaledBfloat16GeluKeepsItsScaleOutsideTheRewrite() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Operand<TFloat32> p = tf.withName("p").placeholder(TFloat32.class);
      Operand<TBfloat16> x = tf.dtypes.cast(tf.withName("x").math.add(p, tf.constant(1f)), TBfloat16.class);
      Operand<TBfloat16> scaled = tf.withName("scaled").math.mul(geluBfloat16(tf, x), bf16(tf, 1.01f));
      tf.withName("out").dtypes.cast(scaled, TFloat32.class);
      List<GeluRecompute.Gelu> found = find(g.toGraphDef(), OUT);
      assertEquals(1, found.size());
      assertEquals("y", found.get(0).y());
    }
  }

  /** Python's tf.custom_gradient is an IdentityN tagged with its Python gradient, which Java cannot run. */
  @Test
  void aTfCustomGradientIdentityNIsRefusedNotPassedThrough() {
    assertTrue(MarkerGradients.registered());
    GraphDef base;
    try (Graph b = new Graph()) {
      Ops.create(b).withName("p").placeholder(TFloat32.class);
      base = b.toGraphDef();
    }
    GraphDef tagged = base.toBuilder().addNode(NodeDef.newBuilder().setName("custom").setOp("IdentityN")
        .addInput("p")
        .putAttr("T", AttrValue.newBuilder().setList(AttrValue.ListValue.newBuilder().addType(DataType.DT_FLOAT))
            .build())
        .putAttr("_gradient_op_type", AttrValue.newBuilder().setS(ByteString.copyFromUtf8("CustomGradient-7"))
            .build()))
        .build();
    try (Graph g = new Graph()) {
      g.importGraphDef(tagged);
      RuntimeException e = assertThrows(RuntimeException.class,
          () -> g.addGradients(g.outputOrThrow("custom:0"), new Output<?>[] {g.outputOrThrow("p:0")}));
      assertTrue(String.valueOf(e.getMessage()).contains("tf.custom_gradient")
          || String.valueOf(e.getCause()).contains("tf.custom_gradient"), e.toString());
    }
  }

  @Test
  void whatIsNotAClosedGeluIsLeftAlone() {
    // tanh alone, a scaled GELU, and SiLU (no tanh or erf) compute something else.
    assertTrue(find(model((tf, x) -> tf.withName("y").math.tanh(x), false), OUT).isEmpty());
    assertTrue(find(model((tf, x) -> tf.withName("y").math.mul(x, tf.math.add(tf.constant(1f),
        tf.math.tanh(x))), false), OUT).isEmpty());
    assertTrue(find(model((tf, x) -> tf.withName("y").math.mul(x, tf.math.sigmoid(x)), false), OUT)
        .isEmpty());
    // An intermediate read from outside (here a second output) keeps the GELU as it is.
    try (Graph g = new Graph()) {
      g.importGraphDef(model(Spelling.BERT_TANH));
      Ops tf = Ops.create(g);
      String tanh = new NodeIndex(g.toGraphDef()).nodes().stream().filter(n -> n.getOp().equals("Tanh"))
          .map(NodeDef::getName).findFirst().orElseThrow();
      tf.withName("also").math.neg(g.outputOrThrow(tanh + ":0").expect(TFloat32.class));
      assertTrue(find(g.toGraphDef(), List.of("out", "also")).isEmpty());
    }
  }

  @Test
  void aGeluWhoseIntermediateIsFetchedIsLeftAlone() {
    GraphDef graph = model(Spelling.ERF);
    String erf = graph.getNodeList().stream().filter(n -> n.getOp().equals("Erf")).map(NodeDef::getName)
        .findFirst().orElseThrow();
    assertTrue(find(graph, List.of("out", erf)).isEmpty());
    assertEquals(graph, GeluRecompute.rewrite(graph, IN, List.of("out", erf)));
  }

  @Test
  void aGeluOffTheSignaturesPathIsLeftAlone() {
    GraphDef graph = model(Spelling.BERT_TANH);
    // Not read from the inputs, or not leading to an output: another copy of the model, which nothing runs.
    assertTrue(GeluRecompute.find(graph, List.of("no_such_input"), OUT).isEmpty());
    assertTrue(GeluRecompute.find(graph, IN, List.of("x")).isEmpty());
  }

  @Test
  void erfIsAccurateToSevenDigits() {
    // Reference values of erf (Abramowitz and Stegun, table 7.1).
    assertEquals(0.5204998778, GeluRecompute.erf(0.5), 2e-7);
    assertEquals(0.8427007929, GeluRecompute.erf(1.0), 2e-7);
    assertEquals(-0.9953222650, GeluRecompute.erf(-2.0), 2e-7);
    assertEquals(0.0, GeluRecompute.erf(0.0), 2e-7);
  }
}
