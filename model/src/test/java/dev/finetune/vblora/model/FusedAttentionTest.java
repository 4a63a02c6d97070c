package dev.finetune.vblora.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.data.error.VbLoraException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.train.BatchMatMul;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TFloat32;

/**
 * The attention core in the form XLA's fused-attention rewriter matches: bfloat16 logits (scale and mask applied in
 * bfloat16), then the same forward values and the same gradients as TensorFlow's own Softmax of those logits and
 * its gradient, and graphs of any other form left alone.
 */
class FusedAttentionTest {
  private static final int B = 2;
  private static final int H = 3;
  private static final int S = 5;
  private static final int D = 8;
  private static final float SCALE = (float) (1 / Math.sqrt(D));

  /** The ways a model writes the scores' scale and mask: BERT's, and the others the form must recognise. */
  enum Form {
    /** scores * scale + mask, as BERT writes it. */
    SCALE_RIGHT,
    /** mask + scores / sqrt(d). */
    DIVIDED_MASK_LEFT,
    /** scale * scores + mask. */
    SCALE_LEFT,
    /** scores + mask, no scale. */
    UNSCALED
  }

  private static final List<String> OUT = List.of("out");

  /** The fed q, k, v [B, H, S, D] and mask [B, 1, 1, S] that every attention graph here starts from. */
  private record Inputs(Placeholder<TFloat32> q, Placeholder<TFloat32> k, Placeholder<TFloat32> v,
      Placeholder<TFloat32> mask) {
    static Inputs of(Ops tf) {
      return new Inputs(tf.withName("q").placeholder(TFloat32.class), tf.withName("k").placeholder(TFloat32.class),
          tf.withName("v").placeholder(TFloat32.class), tf.withName("mask").placeholder(TFloat32.class));
    }
  }

  /**
   * q, k, v [B, H, S, D] (fed); probabilities = softmax(q k^T * scale + mask), mask [B, 1, 1, S] of 0 and -10000
   * (fed); out = probabilities v. With {@code probabilitiesAlsoOut}, the probabilities are an output too.
   */
  private static GraphDef attention(boolean probabilitiesAlsoOut) {
    return attention(probabilitiesAlsoOut, Form.SCALE_RIGHT);
  }

  private static GraphDef attention(boolean probabilitiesAlsoOut, Form form) {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Inputs in = Inputs.of(tf);
      Operand<TFloat32> scores = tf.withName("scores").train.batchMatMul(in.q(), in.k(), TFloat32.class,
          BatchMatMul.adjY(true));
      Ops named = tf.withName("scaled");
      Operand<TFloat32> scaled = switch (form) {
        case SCALE_RIGHT -> named.math.mul(scores, tf.constant(SCALE));
        case DIVIDED_MASK_LEFT -> named.math.div(scores, tf.constant((float) Math.sqrt(D)));
        case SCALE_LEFT -> named.math.mul(tf.constant(SCALE), scores);
        case UNSCALED -> scores;
      };
      Operand<TFloat32> masked = form == Form.DIVIDED_MASK_LEFT ? tf.withName("masked").math.add(in.mask(), scaled)
          : tf.withName("masked").math.add(scaled, in.mask());
      Operand<TFloat32> probabilities = tf.withName("probabilities").nn.softmax(masked);
      tf.withName("out").train.batchMatMul(probabilities, in.v(), TFloat32.class);
      if (probabilitiesAlsoOut) {
        tf.withName("probabilities_out").identity(probabilities);
      }
      return g.toGraphDef();
    }
  }

  private static GraphDef bfloat16(GraphDef graph) {
    return Bfloat16Gemms.rewrite(graph, List.of("q", "k", "v"));
  }

  /**
   * What the form computes, written with TensorFlow's own ops: the bfloat16 scores times the scale plus the mask,
   * all in bfloat16, then TensorFlow's Softmax in float32 (and its gradient), cast to bfloat16 for the second
   * product.
   */
  private static GraphDef bfloat16Logits() {
    return bfloat16Logits(SCALE);
  }

  private static GraphDef bfloat16Logits(float scale) {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Inputs in = Inputs.of(tf);
      Operand<TBfloat16> scores = tf.train.batchMatMul(bf16(tf, in.q()), bf16(tf, in.k()), TBfloat16.class,
          BatchMatMul.adjY(true));
      Operand<TBfloat16> logits = tf.math.add(tf.math.mul(scores, bf16(tf, tf.constant(scale))), bf16(tf, in.mask()));
      Operand<TFloat32> probabilities = tf.nn.softmax(tf.dtypes.cast(logits, TFloat32.class));
      tf.withName("out").dtypes.cast(tf.train.batchMatMul(bf16(tf, probabilities), bf16(tf, in.v()), TBfloat16.class),
          TFloat32.class);
      return g.toGraphDef();
    }
  }

  private static Operand<TBfloat16> bf16(Ops tf, Operand<TFloat32> x) {
    return tf.dtypes.cast(x, TBfloat16.class);
  }

  private static final float[] Q = FloatArrays.gaussian(B * H * S * D, 1);
  private static final float[] K = FloatArrays.gaussian(B * H * S * D, 2);
  private static final float[] V = FloatArrays.gaussian(B * H * S * D, 3);
  private static final float[] W = FloatArrays.gaussian(B * H * S * D, 4);
  /** The second sentence's last two tokens are padding. */
  private static final float[] MASK = {0, 0, 0, 0, 0, 0, 0, 0, -10000, -10000};

  /** out, and the gradients of sum(out * W) with respect to q, k and v. */
  private static List<float[]> outputAndGradients(GraphDef graph) {
    try (Graph g = new Graph()) {
      g.importGraphDef(graph);
      Ops tf = Ops.create(g);
      Output<TFloat32> out = g.outputOrThrow("out:0").expect(TFloat32.class);
      Operand<TFloat32> w = tf.reshape(tf.constant(W), tf.constant(new long[] {B, H, S, D}));
      Operand<TFloat32> loss = tf.reduceSum(tf.math.mul(out, w), tf.constant(new int[] {0, 1, 2, 3}));
      Output<?>[] grads = g.addGradients(loss.asOutput(), new Output<?>[] {
          g.outputOrThrow("q:0"), g.outputOrThrow("k:0"), g.outputOrThrow("v:0")});
      try (Session s = new Session(g);
          TFloat32 q = tensor(Q, B, H, S, D); TFloat32 k = tensor(K, B, H, S, D); TFloat32 v = tensor(V, B, H, S, D);
          TFloat32 mask = tensor(MASK, B, 1, 1, S);
          Result r = s.runner().feed("q:0", q).feed("k:0", k).feed("v:0", v).feed("mask:0", mask)
              .fetch(out).fetch(grads[0]).fetch(grads[1]).fetch(grads[2]).run()) {
        return FloatArrays.flat(r, 4);
      }
    }
  }

  private static TFloat32 tensor(float[] values, long... shape) {
    return TFloat32.tensorOf(Shape.of(shape), DataBuffers.of(values, true, false));
  }

  @Test
  void findsTheBfloat16AttentionCoreWithItsScaleAndMask() {
    List<FusedAttention.Core> cores = FusedAttention.find(bfloat16(attention(false)), OUT);
    assertEquals(1, cores.size());
    FusedAttention.Core core = cores.get(0);
    assertEquals("probabilities", core.softmax().getName());
    assertEquals(SCALE, core.scale());
    assertEquals("mask:0", core.bias());
    assertEquals("scores/bfloat16:0", core.scores());
    assertEquals(Set.of("scores", "scaled", "masked"), core.replaced(), "the cast to float32, the scale, the add");
  }

  @Test
  void theRewrittenCoreComputesTheSoftmaxOfBfloat16LogitsAndKeepsItsName() {
    GraphDef rewritten = FusedAttention.rewrite(bfloat16(attention(false)), OUT);
    NodeIndex index = new NodeIndex(rewritten);
    assertTrue(rewritten.getNodeList().stream().noneMatch(n -> n.getOp().equals("Softmax")));
    assertEquals("Identity", index.node("probabilities").getOp());
    NodeDef marker = index.node("probabilities/" + FusedAttention.MARKER);
    assertEquals("IdentityN", marker.getOp());
    List<float[]> expected = outputAndGradients(bfloat16Logits());
    List<float[]> actual = outputAndGradients(rewritten);
    FloatArrays.assertClose(expected.get(0), actual.get(0), 1e-6, "out");
  }

  /**
   * The mask reaches the logits as a bfloat16 tensor added in bfloat16: cuDNN reads the bias in the attention's own
   * type, and XLA's rewriter gives the backward kernel the bias operand it matched, so a float32 bias there (a
   * bfloat16 mask cast back to float32) is read as bfloat16 in the backward pass.
   */
  @Test
  void theMaskIsAddedInBfloat16() {
    GraphDef rewritten = FusedAttention.rewrite(bfloat16(attention(false)), OUT);
    NodeIndex index = new NodeIndex(rewritten);
    NodeDef marker = index.node("probabilities/" + FusedAttention.MARKER);
    NodeDef logits = index.node(index.input(marker, 1).node());
    assertEquals("AddV2", logits.getOp());
    assertEquals(DataType.DT_BFLOAT16, logits.getAttrOrThrow("T").getType());
    NodeDef bias = index.node(index.input(logits, 1).node());
    assertTrue(Bfloat16Gemms.isCast(bias, DataType.DT_FLOAT, DataType.DT_BFLOAT16), bias.toString());
    assertEquals("mask", index.input(bias, 0).node());
    NodeDef scaled = index.node(index.input(logits, 0).node());
    assertEquals("Mul", scaled.getOp());
    assertEquals(DataType.DT_BFLOAT16, scaled.getAttrOrThrow("T").getType());
    assertEquals("scores/bfloat16", index.input(scaled, 0).node(), "the product's bfloat16 output, not a cast");
  }

  @Test
  void itsGradientIsTheSoftmaxGradient() {
    List<float[]> expected = outputAndGradients(bfloat16Logits());
    List<float[]> actual = outputAndGradients(FusedAttention.rewrite(bfloat16(attention(false)), OUT));
    // Both gradients are cast to bfloat16 at the logits; they differ only in how the float32 softmax gradient is
    // written, so bfloat16's 2^-8 relative step bounds the difference.
    String[] names = {"dq", "dk", "dv"};
    for (int i = 0; i < 3; i++) {
      FloatArrays.assertClose(expected.get(i + 1), actual.get(i + 1), 1.5e-2, names[i]);
    }
    // ... and against float32, so the comparison above is not between two equally wrong graphs.
    List<float[]> exact = outputAndGradients(attention(false));
    for (int i = 0; i < 3; i++) {
      FloatArrays.assertClose(exact.get(i + 1), actual.get(i + 1), 3e-2, names[i] + " against float32");
    }
  }

  /** Whichever way the scale and mask are written, the form computes the same bfloat16 logits. */
  @ParameterizedTest
  @EnumSource(Form.class)
  void everyWayOfWritingTheScaleAndMaskIsRecognised(Form form) {
    List<FusedAttention.Core> cores = FusedAttention.find(bfloat16(attention(false, form)), OUT);
    assertEquals(1, cores.size(), form.toString());
    assertEquals("mask:0", cores.get(0).bias());
    float scale = form == Form.UNSCALED ? 1f : SCALE;
    assertEquals(scale, cores.get(0).scale(), 1e-7f);
    List<float[]> expected = outputAndGradients(bfloat16Logits(scale));
    List<float[]> actual = outputAndGradients(FusedAttention.rewrite(bfloat16(attention(false, form)), OUT));
    FloatArrays.assertClose(expected.get(0), actual.get(0), 1e-6, form + " out");
  }

  /** The rewrite removes the nodes between the product and the softmax: one that anything else needs stays. */
  @Test
  void aCoreWhoseNodesAreFetchedOrWaitedForIsLeftAlone() {
    GraphDef graph = bfloat16(attention(false));
    assertTrue(FusedAttention.find(graph, List.of("out", "masked")).isEmpty(), "a fetched bias add");
    GraphDef waiting = graph.toBuilder().addNode(NodeDef.newBuilder().setName("after_scale").setOp("NoOp")
        .addInput("^scaled")).build();
    assertTrue(FusedAttention.find(waiting, OUT).isEmpty(), "a control edge from the scale");
  }

  @Test
  void probabilitiesReadElsewhereOrAFloat32CoreAreLeftAlone() {
    GraphDef shared = bfloat16(attention(true));
    assertTrue(FusedAttention.find(shared, OUT).isEmpty());
    assertEquals(shared, FusedAttention.rewrite(shared, OUT));
    GraphDef float32 = attention(false);
    assertTrue(FusedAttention.find(float32, OUT).isEmpty());
    assertEquals(float32, FusedAttention.rewrite(float32, OUT));
  }

  /** Asked for on a model whose attention has another form, the option would do nothing: refused, saying so. */
  @Test
  void aModelWithoutAMatchingCoreIsRefusedWhenTheFormIsAskedFor() {
    // The tiny encoder multiplies scores with MatMul, not BatchMatMul: nothing for the form to rewrite.
    TinyEncoder.Fixture toy = TinyEncoder.fixture("serving_default", 5);
    VbLoraPlan plan = VbLoraPlan.of(toy.kernels(), VbLoraConfig.builder().numVectors(6).vectorLength(4).rank(2)
        .topk(2).seed(11).build());
    VbLoraException e = assertThrows(VbLoraException.class, () -> GraphRewriter.rewrite(toy.metaGraph(),
        "serving_default", plan, Path.of("unused"), GraphForms.defaults().withUpdate(UpdateForm.MERGED)
            .withPrecision(GemmPrecision.BFLOAT16).withAttention(AttentionForm.FUSED)).close());
    assertTrue(e.getMessage().contains("no attention core of the form it rewrites"), e.getMessage());
    assertTrue(e.getMessage().contains("train without fused attention"), e.getMessage());
  }

  @Test
  void anyOtherIdentityNPassesItsGradientsThrough() {
    assertTrue(FusedAttention.gradientRegistered());
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> a = tf.withName("a").placeholder(TFloat32.class);
      Placeholder<TFloat32> b = tf.withName("b").placeholder(TFloat32.class);
      List<Output<?>> both = tf.identityN(List.of(a, b)).output();
      Operand<TFloat32> loss = tf.math.add(
          tf.reduceSum(tf.math.mul(both.get(0).expect(TFloat32.class), tf.constant(3f)), tf.constant(0)),
          tf.reduceSum(tf.math.square(both.get(1).expect(TFloat32.class)), tf.constant(0)));
      Output<?>[] grads = g.addGradients(loss.asOutput(), new Output<?>[] {a.output(), b.output()});
      try (Session s = new Session(g); TFloat32 av = tensor(new float[] {1, 2}, 2);
          TFloat32 bv = tensor(new float[] {-1, 4}, 2);
          Result r = s.runner().feed("a:0", av).feed("b:0", bv).fetch(grads[0]).fetch(grads[1]).run()) {
        TFloat32 da = (TFloat32) r.get(0);
        TFloat32 db = (TFloat32) r.get(1);
        assertEquals(3f, da.getFloat(0));
        assertEquals(3f, da.getFloat(1));
        assertEquals(-2f, db.getFloat(0));
        assertEquals(8f, db.getFloat(1));
      }
    }
  }
}
