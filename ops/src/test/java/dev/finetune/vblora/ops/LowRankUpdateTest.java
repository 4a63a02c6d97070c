package dev.finetune.vblora.ops;

import static dev.finetune.vblora.ops.TopKAdmixtureTest.assertGradientMatches;
import static dev.finetune.vblora.ops.testing.TestArrays.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.ops.testing.GraphRunner;
import dev.finetune.vblora.ops.testing.ReferenceVbLora;
import dev.finetune.vblora.ops.testing.TestArrays;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.family.TNumber;

/** y = x W + s * (x down) up, for 2-D and N-D inputs, and its gradients. */
class LowRankUpdateTest {

  static Stream<Arguments> cases() {
    Object[][] table = {
        // leading dims of x, in, r, out, scaling
        {new long[] {5}, 6, 2, 4, 1.0},
        {new long[] {5}, 6, 1, 4, 0.5},          // r = 1
        {new long[] {2, 3}, 4, 3, 7, 2.0},       // 3-D, like [batch, seq, hidden]
        {new long[] {2, 1, 3}, 3, 2, 2, 1.0},    // 4-D
        {new long[] {1}, 8, 8, 1, 16.0 / 8},     // full rank, one output, LoRA-like alpha/r
    };
    List<Arguments> cases = new ArrayList<>();
    for (DType dtype : DType.values()) {
      for (Object[] row : table) {
        cases.add(Arguments.of(dtype, row[0], row[1], row[2], row[3], row[4]));
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} x {1}+[in={2}], r={3}, out={4}, s={5}")
  @MethodSource("cases")
  <T extends TNumber> void addsTheScaledLowRankUpdateToTheBaseOutput(DType dtype, long[] leading, int in, int r,
      int out, double scaling) {
    int n = (int) TestArrays.size(leading);
    double[] x = TestArrays.uniform(1, n * in, -1, 1);
    double[] base = TestArrays.uniform(2, n * out, -1, 1);
    ReferenceVbLora.Factors f = new ReferenceVbLora.Factors(in, r, out, TestArrays.uniform(3, in * r, -1, 1),
        TestArrays.uniform(4, r * out, -1, 1));
    try (GraphRunner g = new GraphRunner()) {
      Class<T> type = dtype.type();
      Operand<T> y = LowRankUpdate.apply(g.tf(), g.input(type, append(leading, in), x),
          g.input(type, append(leading, out), base), factors(g, type, f), scaling, AdapterDropout.none());
      assertArrayEquals(append(leading, out), GraphRunner.staticShape(y), "static output shape");
      assertClose(ReferenceVbLora.update(x, base, f, scaling), g.run(y), 10 * dtype.tolerance, "y");
    }
  }

  @Test
  void unknownBatchDimensionsAreResolvedAtRunTime() {
    double[] x = TestArrays.uniform(1, 2 * 3 * 4, -1, 1);
    double[] base = TestArrays.uniform(2, 2 * 3 * 5, -1, 1);
    ReferenceVbLora.Factors f = new ReferenceVbLora.Factors(4, 2, 5, TestArrays.uniform(3, 8, -1, 1),
        TestArrays.uniform(4, 10, -1, 1));
    try (GraphRunner g = new GraphRunner()) {
      Operand<TFloat64> y = LowRankUpdate.apply(g.tf(),
          g.input(TFloat64.class, new long[] {-1, -1, 4}, new long[] {2, 3, 4}, x),
          g.input(TFloat64.class, new long[] {-1, -1, 5}, new long[] {2, 3, 5}, base),
          factors(g, TFloat64.class, f), 0.25, AdapterDropout.none());
      assertClose(ReferenceVbLora.update(x, base, f, 0.25), g.run(y), 1e-12, "y");
    }
  }

  @Test
  void mergedKernelGivesTheSameOutputAsTheUnmergedUpdate() {
    int in = 6;
    int out = 4;
    double[] x = TestArrays.uniform(1, 2 * 3 * in, -1, 1);
    double[] w = TestArrays.uniform(2, in * out, -1, 1);
    ReferenceVbLora.Factors f = new ReferenceVbLora.Factors(in, 2, out, TestArrays.uniform(3, in * 2, -1, 1),
        TestArrays.uniform(4, 2 * out, -1, 1));
    try (GraphRunner g = new GraphRunner()) {
      Ops tf = g.tf();
      Operand<TFloat64> xIn = g.input(TFloat64.class, new long[] {6, in}, x);
      Operand<TFloat64> kernel = g.input(TFloat64.class, new long[] {in, out}, w);
      LowRankFactors<TFloat64> factors = factors(g, TFloat64.class, f);
      Operand<TFloat64> unmerged = LowRankUpdate.apply(tf, xIn, tf.linalg.matMul(xIn, kernel), factors, 1.5,
          AdapterDropout.none());
      Operand<TFloat64> merged = tf.linalg.matMul(xIn, tf.math.add(kernel, DeltaWeight.of(tf, factors, 1.5)));
      List<double[]> values = g.run(List.of(unmerged, merged));
      assertClose(values.get(0), values.get(1), 1e-12, "x (W + delta) vs x W + s (x down) up");
    }
  }

  @Test
  void gradientsThroughComposedFactorsMatchFiniteDifferences() {
    VbLoraDims dims = new VbLoraDims(5, 2, 2, 2);
    List<LayerShape> layers = List.of(new LayerShape("q", 4, 6), new LayerShape("out", 6, 2));
    try (GraphRunner g = new GraphRunner()) {
      Ops tf = g.tf();
      Operand<TFloat64> bank = g.input(TFloat64.class, dims.bankShape(), TestArrays.uniform(1, 10, -1, 1));
      List<LayerLogits<TFloat64>> logits = CompositionGradientTest.separatedLogits(g, dims, layers, 7);
      List<LowRankFactors<TFloat64>> factors = FusedFactorComposition.compose(tf, bank, logits, dims);
      // Two stacked adapted layers on a 3-D input: x [2, 3, 4] -> [2, 3, 6] -> [2, 3, 2].
      Operand<TFloat64> x = g.input(TFloat64.class, new long[] {2, 3, 4}, TestArrays.uniform(2, 24, -1, 1));
      Operand<TFloat64> w1 = g.input(TFloat64.class, new long[] {4, 6}, TestArrays.uniform(3, 24, -1, 1));
      Operand<TFloat64> w2 = g.input(TFloat64.class, new long[] {6, 2}, TestArrays.uniform(4, 12, -1, 1));
      Operand<TFloat64> h = LowRankUpdate.apply(tf, x, tf.linalg.einsum(List.of(x, w1), "bsi,io->bso"),
          factors.get(0), 1.0, AdapterDropout.none());
      Operand<TFloat64> y = LowRankUpdate.apply(tf, h, tf.linalg.einsum(List.of(h, w2), "bsi,io->bso"),
          factors.get(1), 0.5, AdapterDropout.none());
      Operand<TFloat64> loss = TopKAdmixtureTest.weightedSum(g, y, new long[] {2, 3, 2},
          TestArrays.uniform(5, 12, -1, 1));
      assertGradientMatches(g, loss, bank, "bank");
      for (LayerLogits<TFloat64> l : logits) {
        assertGradientMatches(g, loss, l.logitsA(), "logits_A of " + l.shape().name());
        assertGradientMatches(g, loss, l.logitsB(), "logits_B of " + l.shape().name());
      }
      assertGradientMatches(g, loss, x, "x");
    }
  }

  @Test
  void rejectsInputsThatDoNotFitTheFactors() {
    try (GraphRunner g = new GraphRunner()) {
      LowRankFactors<TFloat64> f = new LowRankFactors<>(g.input(TFloat64.class, new long[] {6, 2}, new double[12]),
          g.input(TFloat64.class, new long[] {2, 4}, new double[8]));
      Operand<TFloat64> x = g.input(TFloat64.class, new long[] {3, 5}, new double[15]);
      Operand<TFloat64> base = g.input(TFloat64.class, new long[] {3, 4}, new double[12]);
      IllegalArgumentException wrongIn = assertThrows(IllegalArgumentException.class,
          () -> LowRankUpdate.apply(g.tf(), x, base, f, 1, AdapterDropout.none()));
      assertTrue(wrongIn.getMessage().contains("[3, 5]") && wrongIn.getMessage().contains("6"), wrongIn.getMessage());
      Operand<TFloat64> x6 = g.input(TFloat64.class, new long[] {3, 6}, new double[18]);
      Operand<TFloat64> base5 = g.input(TFloat64.class, new long[] {3, 5}, new double[15]);
      IllegalArgumentException wrongOut = assertThrows(IllegalArgumentException.class,
          () -> LowRankUpdate.apply(g.tf(), x6, base5, f, 1, AdapterDropout.none()));
      assertTrue(wrongOut.getMessage().contains("base output") && wrongOut.getMessage().contains("[3, 5]"),
          wrongOut.getMessage());
      LowRankFactors<TFloat64> mismatched = new LowRankFactors<>(f.down(),
          g.input(TFloat64.class, new long[] {3, 4}, new double[12]));
      IllegalArgumentException ranks = assertThrows(IllegalArgumentException.class,
          () -> LowRankUpdate.apply(g.tf(), x6, base, mismatched, 1, AdapterDropout.none()));
      assertTrue(ranks.getMessage().contains("[6, 2]") && ranks.getMessage().contains("[3, 4]"), ranks.getMessage());
      assertThrows(IllegalArgumentException.class, () -> DeltaWeight.of(g.tf(), mismatched, 1));
    }
  }

  static <T extends TNumber> LowRankFactors<T> factors(GraphRunner g, Class<T> type, ReferenceVbLora.Factors f) {
    return new LowRankFactors<>(g.input(type, new long[] {f.in(), f.rank()}, f.down()),
        g.input(type, new long[] {f.rank(), f.out()}, f.up()));
  }

  static long[] append(long[] dims, long last) {
    long[] out = Arrays.copyOf(dims, dims.length + 1);
    out[dims.length] = last;
    return out;
  }
}
