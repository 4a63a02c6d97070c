package dev.finetune.vblora.ops;

import static dev.finetune.vblora.ops.testing.TestArrays.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.ops.testing.FiniteDifferences;
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
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.family.TNumber;

/** Top-k admixture: every row of logits mixes the softmax-weighted k best bank vectors. */
class TopKAdmixtureTest {

  static Stream<Arguments> shapes() {
    List<Arguments> cases = new ArrayList<>();
    Object[][] table = {
        // leading dims of logits, h, b, k
        {new long[] {}, 5, 3, 2},            // a single sub-vector, 1-D logits
        {new long[] {7}, 6, 4, 2},           // 2-D
        {new long[] {7}, 6, 4, 1},           // k = 1: the best vector, weight 1
        {new long[] {7}, 6, 4, 6},           // k = h: a full softmax mix
        {new long[] {4}, 3, 1, 2},           // b = 1
        {new long[] {2, 3}, 8, 5, 3},        // 3-D, like logits_A [r, in/b, h]
        {new long[] {2, 1, 3}, 4, 2, 2},     // 4-D
        {new long[] {1}, 1, 3, 1},           // h = 1
    };
    for (DType dtype : DType.values()) {
      for (Object[] row : table) {
        cases.add(Arguments.of(dtype, row[0], row[1], row[2], row[3]));
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} logits {1}+[h={2}], b={3}, k={4}")
  @MethodSource("shapes")
  <T extends TNumber> void mixesTheTopKBankVectorsWithSoftmaxWeights(DType dtype, long[] leading, int h, int b, int k) {
    long[] logitsShape = append(leading, h);
    int rows = Math.toIntExact(TestArrays.size(leading));
    double[] logits = TestArrays.uniform(11, rows * h, -2, 2);
    double[] bank = TestArrays.uniform(12, h * b, -1, 1);
    try (GraphRunner g = new GraphRunner()) {
      Class<T> type = dtype.type();
      Operand<T> mixed = TopKAdmixture.mix(g.tf(), g.input(type, logitsShape, logits), g.input(type, new long[] {h, b},
          bank), k);
      assertArrayEquals(append(leading, b), GraphRunner.staticShape(mixed), "static output shape");
      assertClose(ReferenceVbLora.admix(logits, h, bank, b, k), g.run(mixed), dtype.tolerance, "admixture");
    }
  }

  @Test
  void unknownLeadingDimensionsAreResolvedAtRunTime() {
    double[] logits = TestArrays.uniform(3, 2 * 3 * 5, -1, 1);
    double[] bank = TestArrays.uniform(4, 5 * 2, -1, 1);
    try (GraphRunner g = new GraphRunner()) {
      Operand<TFloat64> mixed = TopKAdmixture.mix(g.tf(),
          g.input(TFloat64.class, new long[] {-1, -1, 5}, new long[] {2, 3, 5}, logits),
          g.input(TFloat64.class, new long[] {5, 2}, bank), 2);
      assertArrayEquals(new long[] {-1, -1, 2}, GraphRunner.staticShape(mixed));
      assertClose(ReferenceVbLora.admix(logits, 5, bank, 2, 2), g.run(mixed), 1e-12, "admixture");
    }
  }

  @Test
  void equalLogitsGoToTheLowerIndexLikeTheReference() {
    double[] logits = {0.5, 1.0, 1.0, 1.0, -3.0};
    double[] bank = {1, 10, 100, 1000, 10000};
    try (GraphRunner g = new GraphRunner()) {
      Operand<TFloat64> mixed = TopKAdmixture.mix(g.tf(), g.input(TFloat64.class, new long[] {5}, logits),
          g.input(TFloat64.class, new long[] {5, 1}, bank), 2);
      assertClose(new double[] {(10 + 100) / 2.0}, g.run(mixed), 1e-12, "indices 1 and 2 of three equal maxima");
    }
  }

  @Test
  void gradientReachesOnlyTheSelectedLogitsAndBankRows() {
    // Row 0 selects bank rows 3 and 1, row 1 selects 0 and 3; bank row 2 is never selected.
    double[] logits = {0.0, 2.0, -1.0, 3.0, 1.5, -2.0, 0.1, 0.9};
    double[] bank = TestArrays.uniform(5, 4 * 3, -1, 1);
    double[] weights = TestArrays.uniform(6, 2 * 3, -1, 1);
    try (GraphRunner g = new GraphRunner()) {
      Operand<TFloat64> logitsIn = g.input(TFloat64.class, new long[] {2, 4}, logits);
      Operand<TFloat64> bankIn = g.input(TFloat64.class, new long[] {4, 3}, bank);
      Operand<TFloat64> loss = weightedSum(g, TopKAdmixture.mix(g.tf(), logitsIn, bankIn, 2), new long[] {2, 3},
          weights);
      Output<?>[] grads = g.graph().addGradients(loss.asOutput(), new Output<?>[] {logitsIn.asOutput(),
          bankIn.asOutput()});
      List<double[]> values = g.run(List.of(grads[0], grads[1]));
      double[] dLogits = values.get(0);
      double[] dBank = values.get(1);
      boolean[] selected = {false, true, false, true, true, false, false, true};
      for (int i = 0; i < selected.length; i++) {
        if (selected[i]) {
          assertNotEquals(0.0, dLogits[i], "selected logit " + i);
        } else {
          assertEquals(0.0, dLogits[i], "unselected logit " + i);
        }
      }
      for (int c = 0; c < 3; c++) {
        assertEquals(0.0, dBank[2 * 3 + c], "never-selected bank row 2");
        assertNotEquals(0.0, dBank[3 * 3 + c], "bank row 3, selected twice");
      }
    }
  }

  @Test
  void gradientMatchesFiniteDifferences() {
    int rows = 6;
    int h = 5;
    int b = 3;
    double[] logits = TestArrays.separatedLogits(7, rows, h, 0.3);
    double[] bank = TestArrays.uniform(8, h * b, -1, 1);
    double[] weights = TestArrays.uniform(9, rows * b, -1, 1);
    try (GraphRunner g = new GraphRunner()) {
      Operand<TFloat64> logitsIn = g.input(TFloat64.class, new long[] {2, 3, h}, logits);
      Operand<TFloat64> bankIn = g.input(TFloat64.class, new long[] {h, b}, bank);
      Operand<TFloat64> loss = weightedSum(g, TopKAdmixture.mix(g.tf(), logitsIn, bankIn, 2),
          new long[] {2, 3, b}, weights);
      assertGradientMatches(g, loss, logitsIn, "logits");
      assertGradientMatches(g, loss, bankIn, "bank");
    }
  }

  @ParameterizedTest
  @EnumSource(DType.class)
  <T extends TNumber> void selectionGivesTheTopKIndicesAndTheirSoftmaxWeights(DType dtype) {
    int h = 6;
    int k = 3;
    double[] logits = TestArrays.uniform(21, 2 * 4 * h, -2, 2);
    try (GraphRunner g = new GraphRunner()) {
      TopKSelection<T> selection = TopKAdmixture.select(g.tf(), g.input(dtype.<T>type(), new long[] {2, 4, h}, logits),
          k);
      assertArrayEquals(new long[] {2, 4, k}, GraphRunner.staticShape(selection.weights()));
      List<double[]> values = g.run(List.of(selection.indices(), selection.weights()));
      for (int row = 0; row < 8; row++) {
        double[] sigma = Arrays.copyOfRange(logits, row * h, (row + 1) * h);
        int[] top = ReferenceVbLora.topK(sigma, k);
        double norm = Arrays.stream(top).mapToDouble(i -> Math.exp(sigma[i])).sum();
        for (int j = 0; j < k; j++) {
          assertEquals(top[j], values.get(0)[row * k + j], "index " + j + " of row " + row);
          assertEquals(Math.exp(sigma[top[j]]) / norm, values.get(1)[row * k + j], dtype.tolerance,
              "weight " + j + " of row " + row);
        }
      }
    }
  }

  @Test
  void rejectsInconsistentShapes() {
    try (GraphRunner g = new GraphRunner()) {
      Operand<TFloat64> bank = g.input(TFloat64.class, new long[] {4, 3}, new double[12]);
      Operand<TFloat64> logits = g.input(TFloat64.class, new long[] {2, 5}, new double[10]);
      IllegalArgumentException wrongH = assertThrows(IllegalArgumentException.class,
          () -> TopKAdmixture.mix(g.tf(), logits, bank, 2));
      assertTrue(wrongH.getMessage().contains("[2, 5]") && wrongH.getMessage().contains("4 vectors"),
          wrongH.getMessage());
      Operand<TFloat64> good = g.input(TFloat64.class, new long[] {2, 4}, new double[8]);
      IllegalArgumentException bigK = assertThrows(IllegalArgumentException.class,
          () -> TopKAdmixture.mix(g.tf(), good, bank, 5));
      assertTrue(bigK.getMessage().contains("topk 5"), bigK.getMessage());
      Operand<TFloat64> unknownBank = g.input(TFloat64.class, new long[] {-1, 3}, new long[] {4, 3}, new double[12]);
      IllegalArgumentException dynamicBank = assertThrows(IllegalArgumentException.class,
          () -> TopKAdmixture.mix(g.tf(), good, unknownBank, 2));
      assertTrue(dynamicBank.getMessage().contains("[?, 3]"), dynamicBank.getMessage());
    }
  }

  /** sum(y * weights): a scalar whose gradient is not uniform, so that mixed-up elements would show. */
  static Operand<TFloat64> weightedSum(GraphRunner g, Operand<TFloat64> y, long[] shape, double[] weights) {
    Operand<TFloat64> w = g.input(TFloat64.class, shape, weights);
    int[] axes = new int[shape.length];
    Arrays.setAll(axes, i -> i);
    return g.tf().sum(g.tf().math.mul(y, w), g.tf().constant(axes));
  }

  static void assertGradientMatches(GraphRunner g, Operand<TFloat64> loss, Operand<TFloat64> input, String what) {
    Output<?>[] grad = g.graph().addGradients(loss.asOutput(), new Output<?>[] {input.asOutput()});
    double[] analytic = g.run(grad[0]);
    double[] numeric = FiniteDifferences.gradient(g, loss, input, 1e-6);
    assertTrue(Arrays.stream(analytic).anyMatch(v -> Math.abs(v) > 1e-3), what + ": gradient is not trivially zero");
    double error = FiniteDifferences.relativeError(analytic, numeric);
    assertTrue(error < 1e-6, what + ": relative error " + error + " of the gradient against central differences");
  }

  private static long[] append(long[] dims, long last) {
    long[] out = Arrays.copyOf(dims, dims.length + 1);
    out[dims.length] = last;
    return out;
  }
}
