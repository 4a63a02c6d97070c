package dev.finetune.vblora.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
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
import org.tensorflow.op.core.Squeeze;
import org.tensorflow.op.core.StridedSlice;
import org.tensorflow.op.linalg.MatMul;
import org.tensorflow.op.math.Mean;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * An encoder whose output is read at one position computes its position-wise tail at that position only, with
 * the outputs and the input's gradient of the untouched graph.
 */
class OnePositionTailTest {
  private static final int HIDDEN = 8;
  private static final int BATCH = 3;
  private static final int LENGTH = 5;

  /** How the toy encoder lays out its rows, and how its pooler reads them. */
  private enum Layout {
    /** BERT's TF1 code: [batch * length, hidden] rows, reshaped to [batch, length, hidden] at the end. */
    FLAT,
    /** Keras: [batch, length, hidden] throughout, products as BatchMatMulV2 with a [hidden, hidden] weight. */
    BATCHED,
    /**
     * Keras 2's Dense on a sequence (Hugging Face's TF models, bert4keras): [batch, length, hidden] rows, each
     * product a Tensordot that flattens them to [batch * length, hidden], multiplies, and reshapes back to the
     * input's [batch, length] by its dynamic shape.
     */
    TENSORDOT,
    /** Keras' EinsumDense on a sequence (Model Garden's encoders): [batch, length, hidden], products abc,cd->abd. */
    EINSUM,
    /** Flattened, reshaped at the end to [batch, -1, hidden]: the length is TensorFlow's to infer. */
    FLAT_INFERRED_LENGTH,
    /**
     * Flattened, with the input declared longer than it is fed (as BERT's [-1, 128] inputs take shorter batches):
     * the declared length is no stride.
     */
    FLAT_DECLARED_LONGER
  }

  /**
   * An attention-like mixing of all rows, then a tail: projection and bias, residual, LayerNorm, a tanh
   * feed-forward block, residual; the pooler reads position {@code position} (dropping that axis when
   * {@code shrink}), or the mean over positions when {@code position} is negative.
   */
  private static GraphDef encoder(Layout layout, int position, boolean shrink) {
    return encoder(layout, position, shrink, false, 1);
  }

  /**
   * As {@link #encoder(Layout, int, boolean)}; {@code twoAxes} writes the slice as {@code [:, p]} (Hugging Face's
   * poolers), and {@code batchStep} is its step along the batch.
   */
  private static GraphDef encoder(Layout layout, int position, boolean shrink, boolean twoAxes, int batchStep) {
    Random random = new Random(7);
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Operand<TFloat32> x = tf.withName("x").placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(-1, layout == Layout.FLAT_DECLARED_LONGER ? LENGTH + 3 : -1, HIDDEN)));
      Operand<TInt32> dims = tf.shape(x);
      Operand<TInt32> shape = layout == Layout.FLAT_INFERRED_LENGTH
          ? tf.constant(new int[] {BATCH, -1, HIDDEN})
          : tf.stack(List.of(element(tf, dims, 0), element(tf, dims, 1), tf.constant(HIDDEN)));
      boolean flat = layout == Layout.FLAT || layout == Layout.FLAT_INFERRED_LENGTH
          || layout == Layout.FLAT_DECLARED_LONGER;
      Operand<TFloat32> rows = flat ? tf.reshape(x, tf.constant(new int[] {-1, HIDDEN})) : x;
      Ops attention = tf.withSubScope("attention");
      Operand<TFloat32> scores = flat
          ? attention.linalg.matMul(rows, rows, MatMul.transposeB(true))
          : attention.train.batchMatMul(rows, rows, TFloat32.class,
              org.tensorflow.op.train.BatchMatMul.adjY(true));
      Operand<TFloat32> context = flat
          ? attention.linalg.matMul(attention.nn.softmax(scores), rows)
          : attention.train.batchMatMul(attention.nn.softmax(scores), rows, TFloat32.class);
      Ops t = tf.withSubScope("tail");
      Operand<TFloat32> projected = t.nn.biasAdd(product(t, layout, context, weight(t, random)), vector(t, random));
      Operand<TFloat32> residual = t.math.add(projected, rows);
      Operand<TFloat32> normed = layerNorm(t, residual, vector(t, random), vector(t, random));
      Operand<TFloat32> up = t.math.tanh(t.nn.biasAdd(product(t, layout, normed, weight(t, random)),
          vector(t, random)));
      Operand<TFloat32> out = t.withName("out").math.add(product(t, layout, up, weight(t, random)), normed);
      Operand<TFloat32> sequence = flat ? tf.reshape(out, shape) : out;
      tf.withName("sequence_output").identity(sequence);
      Ops pooler = tf.withSubScope("pooler");
      Operand<TFloat32> first;
      if (position < 0) {
        first = pooler.math.mean(sequence, pooler.constant(1));
      } else {
        Operand<TFloat32> sliced = twoAxes
            ? pooler.stridedSlice(sequence, pooler.constant(new int[] {0, position}),
                pooler.constant(new int[] {0, position + 1}), pooler.constant(new int[] {batchStep, 1}),
                StridedSlice.beginMask(1L), StridedSlice.endMask(1L), StridedSlice.shrinkAxisMask(shrink ? 2L : 0L))
            : pooler.stridedSlice(sequence, pooler.constant(new int[] {0, position, 0}),
                pooler.constant(new int[] {0, position + 1, 0}), pooler.constant(new int[] {batchStep, 1, 1}),
                StridedSlice.beginMask(5L), StridedSlice.endMask(5L), StridedSlice.shrinkAxisMask(shrink ? 2L : 0L));
        first = shrink ? sliced : pooler.squeeze(sliced, Squeeze.axis(List.of(1L)));
      }
      pooler.withName("pooled").math.tanh(pooler.linalg.matMul(first, weight(pooler, random)));
      return graph.toGraphDef();
    }
  }

  /** {@code vector[i]}, as BERT reads the batch size and the length from the input's shape. */
  private static Operand<TInt32> element(Ops tf, Operand<TInt32> vector, int i) {
    return tf.stridedSlice(vector, tf.constant(new int[] {i}), tf.constant(new int[] {i + 1}),
        tf.constant(new int[] {1}), StridedSlice.shrinkAxisMask(1L));
  }

  private static Operand<TFloat32> product(Ops tf, Layout layout, Operand<TFloat32> rows, Operand<TFloat32> weight) {
    return switch (layout) {
      case BATCHED -> tf.train.batchMatMul(rows, weight, TFloat32.class);
      case TENSORDOT -> tensordot(tf, rows, weight);
      case EINSUM -> tf.linalg.einsum(List.of(rows, weight), "abc,cd->abd");
      default -> tf.linalg.matMul(rows, weight);
    };
  }

  /** tf.tensordot(x, w, [[2], [0]]) as TensorFlow writes it for a [batch, length, hidden] x of unknown batch. */
  private static Operand<TFloat32> tensordot(Ops tf, Operand<TFloat32> x, Operand<TFloat32> w) {
    Operand<TInt32> shape = tf.shape(x);
    Operand<TInt32> free = tf.constant(new int[] {0, 1});
    Operand<TInt32> axes = tf.constant(new int[] {2});
    Operand<TInt32> freeDims = tf.gather(shape, free, tf.constant(0));
    Operand<TInt32> axesDims = tf.gather(shape, axes, tf.constant(0));
    Operand<TInt32> flatShape = tf.stack(List.of(tf.prod(freeDims, tf.constant(0)), tf.prod(axesDims, tf.constant(0))));
    Operand<TFloat32> rows = tf.reshape(tf.linalg.transpose(x, tf.concat(List.of(free, axes), tf.constant(0))),
        flatShape);
    Operand<TInt32> outShape = tf.concat(List.of(freeDims, tf.constant(new int[] {HIDDEN})), tf.constant(0));
    return tf.reshape(tf.linalg.matMul(rows, w), outShape);
  }

  /** BERT's LayerNorm: moments over the last axis, then a scale and an offset. */
  private static Operand<TFloat32> layerNorm(Ops tf, Operand<TFloat32> x, Operand<TFloat32> gamma,
      Operand<TFloat32> beta) {
    Operand<TInt32> last = tf.constant(new int[] {-1});
    Operand<TFloat32> mean = tf.math.mean(x, last, Mean.keepDims(true));
    Operand<TFloat32> variance = tf.math.mean(tf.math.squaredDifference(x, tf.stopGradient(mean)), last,
        Mean.keepDims(true));
    Operand<TFloat32> inv = tf.math.mul(tf.math.rsqrt(tf.math.add(variance, tf.constant(1e-12f))), gamma);
    return tf.math.add(tf.math.mul(x, inv), tf.math.sub(beta, tf.math.mul(mean, inv)));
  }

  private static Operand<TFloat32> weight(Ops tf, Random random) {
    float[] values = new float[HIDDEN * HIDDEN];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) random.nextGaussian() * 0.4f;
    }
    return tf.constant(Shape.of(HIDDEN, HIDDEN), DataBuffers.of(values));
  }

  private static Operand<TFloat32> vector(Ops tf, Random random) {
    float[] values = new float[HIDDEN];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) random.nextGaussian() * 0.4f;
    }
    return tf.constant(values);
  }

  /** The pooled output, the sequence output and the gradient of the pooled output's sum with respect to x. */
  private static List<float[]> run(GraphDef definition) {
    float[] input = new float[BATCH * LENGTH * HIDDEN];
    Random random = new Random(3);
    for (int i = 0; i < input.length; i++) {
      input[i] = (float) random.nextGaussian();
    }
    try (Graph graph = new Graph()) {
      graph.importGraphDef(definition);
      Output<TFloat32> pooled = graph.operationOrThrow("pooler/pooled").output(0);
      Output<TFloat32> x = graph.operationOrThrow("x").output(0);
      Output<?>[] gradient = graph.addGradients(pooled, new Output<?>[] {x});
      try (Session session = new Session(graph);
          TFloat32 feed = TFloat32.tensorOf(Shape.of(BATCH, LENGTH, HIDDEN), DataBuffers.of(input));
          Result result = session.runner().feed(x, feed).fetch(pooled).fetch("sequence_output")
              .fetch(gradient[0]).run()) {
        return FloatArrays.flat(result, 3);
      }
    }
  }

  private static void assertClose(List<float[]> expected, List<float[]> actual) {
    String[] names = {"pooled output", "sequence output", "gradient of x"};
    for (int k = 0; k < expected.size(); k++) {
      assertEquals(expected.get(k).length, actual.get(k).length, names[k]);
      FloatArrays.assertClose(expected.get(k), actual.get(k), 1e-5, names[k]);
    }
  }

  @ParameterizedTest
  @CsvSource({"FLAT, 0, false, false", "FLAT, 2, true, false", "BATCHED, 0, false, false", "BATCHED, 3, true, false",
      "FLAT, 0, true, true", "BATCHED, 1, true, true", "FLAT_DECLARED_LONGER, 1, false, false",
      "TENSORDOT, 0, false, false", "TENSORDOT, 2, true, true", "EINSUM, 0, false, false", "EINSUM, 1, true, true"})
  void theTailRunsAtThePooledPositionWithTheSameValuesAndGradient(Layout layout, int position, boolean shrink,
      boolean twoAxes) {
    GraphDef original = encoder(layout, position, shrink, twoAxes, 1);
    GraphDef rewritten = OnePositionTail.rewrite(original, List.of("pooler/pooled", "sequence_output"));
    assertNotSame(original, rewritten);
    NodeIndex index = new NodeIndex(rewritten);
    Set<String> pooledReads = index.upstream(List.of("pooler/pooled"));
    // The pooled output reads the copy of the tail, no longer the tail over every position ...
    assertFalse(pooledReads.contains("tail/out"), "the full tail's output");
    assertTrue(pooledReads.contains("tail/out/at_position_" + position), "the tail's copy at the position");
    long products = pooledReads.stream().filter(n -> n.startsWith("tail/") && n.contains("/at_position_"))
        .map(index::node).filter(n -> n.getOp().contains("MatMul") || n.getOp().equals("Einsum")).count();
    assertEquals(3, products, "the tail's three products run at the position");
    // ... while the sequence output still reads the untouched tail.
    assertTrue(index.upstream(List.of("sequence_output")).contains("tail/out"));
    assertClose(run(original), run(rewritten));
  }

  @Test
  void aPoolerOverEveryPositionLeavesTheGraphAsItIs() {
    GraphDef original = encoder(Layout.FLAT, -1, false);
    assertSame(original, OnePositionTail.rewrite(original, List.of("pooler/pooled", "sequence_output")));
  }

  /** A slice that steps through the batch ({@code [::2, p:p+1, :]}) takes other rows than the tail has. */
  @Test
  void aSliceThatStepsThroughTheBatchLeavesTheGraphAsItIs() {
    for (boolean twoAxes : new boolean[] {false, true}) {
      GraphDef original = encoder(Layout.BATCHED, 0, false, twoAxes, 2);
      assertSame(original, OnePositionTail.rewrite(original, List.of("pooler/pooled", "sequence_output")));
    }
  }

  /** Flattened rows reshaped to [batch, -1, hidden] give no length to step through them by: left as they are. */
  @Test
  void flattenedRowsWithAnInferredLengthAreLeftAsTheyAre() {
    GraphDef original = encoder(Layout.FLAT_INFERRED_LENGTH, 0, false);
    assertSame(original, OnePositionTail.rewrite(original, List.of("pooler/pooled", "sequence_output")));
  }

  @Test
  void rowWiseAttentionRunsForTheQueryAtThePositionAndReadsEveryKey() {
    // The scores' product reads the rows twice: as queries (row by row: sliced at the position) and as keys
    // (whole). The rows' Reshape is not copied; the product is, with its queries sliced and its keys whole.
    GraphDef rewritten = OnePositionTail.rewrite(encoder(Layout.FLAT, 0, false), List.of("pooler/pooled"));
    NodeIndex index = new NodeIndex(rewritten);
    NodeDef scores = index.node("attention/MatMul/at_position_0");
    assertEquals("Reshape/at_position_0/rows", index.input(scores, 0).node());
    assertEquals("Reshape", index.input(scores, 1).node());
    assertFalse(index.contains("Reshape/at_position_0"), "the rows' Reshape is not a row-wise op");
  }

  /**
   * An operand with one row along the positions ([batch, 1, hidden], a condition broadcast to every position, as
   * bert4keras' conditional LayerNorm has), put through its own Dense and added to the sequence's: the copy reads
   * that one row at any position, whether shape inference knows it is one row (the placeholder) or not (a
   * Tensordot's output), and whether the operand is a Tensordot's, a batched product's or an EinsumDense's.
   */
  @ParameterizedTest
  @CsvSource({"TENSORDOT, 0, false", "TENSORDOT, 2, false", "TENSORDOT, 2, true", "BATCHED, 2, false",
      "BATCHED, 3, true", "EINSUM, 2, false"})
  void anOperandWithOneRowIsReadAtThatRowAtAnyPosition(Layout layout, int position, boolean shrink) {
    for (boolean rowsKnown : new boolean[] {true, false}) {
      GraphDef original = conditioned(layout, position, shrink, rowsKnown);
      GraphDef rewritten = OnePositionTail.rewrite(original, List.of("pooler/pooled", "sequence_output"));
      assertNotSame(original, rewritten, "the tail runs at the position");
      List<float[]> expected = runConditioned(original);
      List<float[]> actual = runConditioned(rewritten);
      for (int k = 0; k < expected.size(); k++) {
        FloatArrays.assertClose(expected.get(k), actual.get(k), 1e-5,
            List.of("pooled output", "sequence output", "gradient of x", "gradient of g").get(k) + ", rows known: "
                + rowsKnown);
      }
    }
  }

  /**
   * tanh(x W1 + g W2 + bias) W3 + that, with x [batch, length, hidden] and g fed [batch, 1, hidden] (declared so, or
   * [batch, ?, hidden] when {@code !rowsKnown}); the pooler reads position {@code position}.
   */
  private static GraphDef conditioned(Layout layout, int position, boolean shrink, boolean rowsKnown) {
    Random random = new Random(5);
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Operand<TFloat32> x = tf.withName("x").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, -1, HIDDEN)));
      Operand<TFloat32> g = tf.withName("g").placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(-1, rowsKnown ? 1 : -1, HIDDEN)));
      Ops t = tf.withSubScope("tail");
      Operand<TFloat32> hidden = t.math.tanh(t.nn.biasAdd(t.math.add(product(t, layout, x, weight(t, random)),
          product(t, layout, g, weight(t, random))), vector(t, random)));
      Operand<TFloat32> sequence = t.withName("out").math.add(product(t, layout, hidden, weight(t, random)), hidden);
      tf.withName("sequence_output").identity(sequence);
      Ops pooler = tf.withSubScope("pooler");
      Operand<TFloat32> sliced = pooler.stridedSlice(sequence, pooler.constant(new int[] {0, position, 0}),
          pooler.constant(new int[] {0, position + 1, 0}), pooler.constant(new int[] {1, 1, 1}),
          StridedSlice.beginMask(5L), StridedSlice.endMask(5L), StridedSlice.shrinkAxisMask(shrink ? 2L : 0L));
      Operand<TFloat32> first = shrink ? sliced : pooler.squeeze(sliced, Squeeze.axis(List.of(1L)));
      pooler.withName("pooled").math.tanh(pooler.linalg.matMul(first, weight(pooler, random)));
      return graph.toGraphDef();
    }
  }

  /** The pooled and sequence outputs and the pooled output's gradients of x and g, with g fed one row. */
  private static List<float[]> runConditioned(GraphDef definition) {
    try (Graph graph = new Graph()) {
      graph.importGraphDef(definition);
      Output<TFloat32> pooled = graph.operationOrThrow("pooler/pooled").output(0);
      Output<TFloat32> x = graph.operationOrThrow("x").output(0);
      Output<TFloat32> g = graph.operationOrThrow("g").output(0);
      Output<?>[] gradients = graph.addGradients(pooled, new Output<?>[] {x, g});
      try (Session session = new Session(graph);
          TFloat32 xs = TFloat32.tensorOf(Shape.of(BATCH, LENGTH, HIDDEN),
              DataBuffers.of(FloatArrays.gaussian(BATCH * LENGTH * HIDDEN, 3)));
          TFloat32 gs = TFloat32.tensorOf(Shape.of(BATCH, 1, HIDDEN), DataBuffers.of(FloatArrays.gaussian(BATCH * HIDDEN,
              4)));
          Result result = session.runner().feed(x, xs).feed(g, gs).fetch(pooled).fetch("sequence_output")
              .fetch(gradients[0]).fetch(gradients[1]).run()) {
        return FloatArrays.flat(result, 4);
      }
    }
  }

  @Test
  void onlyEinsumsThatMapEachRowToItsOwnRowArePerRowProducts() {
    assertTrue(OnePositionTail.rowWiseEinsum("abc,cd->abd"));
    assertTrue(OnePositionTail.rowWiseEinsum("BTD, DH -> BTH"));
    assertFalse(OnePositionTail.rowWiseEinsum("abc,cde->abde"), "rank 4 out");
    assertFalse(OnePositionTail.rowWiseEinsum("abc,bd->abd"), "the weight reads the position axis");
    assertFalse(OnePositionTail.rowWiseEinsum("abc,cd->bad"), "rows swapped");
    assertFalse(OnePositionTail.rowWiseEinsum("abc,adc->abd"), "the weight reads the batch axis");
    assertFalse(OnePositionTail.rowWiseEinsum("...c,cd->...d"), "an ellipsis");
    assertFalse(OnePositionTail.rowWiseEinsum("aac,cd->aad"), "a repeated letter");
  }
}
