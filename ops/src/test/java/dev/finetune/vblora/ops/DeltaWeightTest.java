package dev.finetune.vblora.ops;

import static dev.finetune.vblora.ops.testing.TestArrays.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.finetune.vblora.ops.testing.GraphRunner;
import dev.finetune.vblora.ops.testing.ReferenceVbLora;
import dev.finetune.vblora.ops.testing.TestArrays;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.op.core.Gradients;
import org.tensorflow.types.family.TNumber;

/** The merge-time delta s * down @ up is PEFT's delta_W transposed into TF's kernel layout. */
class DeltaWeightTest {

  static Stream<Arguments> cases() {
    int[][] sizes = {{4, 2, 6}, {3, 1, 5}, {8, 4, 8}, {1, 1, 1}};
    double[] scalings = {1.0, 0.25};
    List<Arguments> cases = new ArrayList<>();
    for (DType dtype : DType.values()) {
      for (int i = 0; i < sizes.length; i++) {
        cases.add(Arguments.of(dtype, sizes[i][0], sizes[i][1], sizes[i][2], scalings[i % 2]));
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} in={1} r={2} out={3} s={4}")
  @MethodSource("cases")
  <T extends TNumber> void isTheTransposeOfPeftsDelta(DType dtype, int in, int r, int out, double scaling) {
    ReferenceVbLora.Factors f = new ReferenceVbLora.Factors(in, r, out, TestArrays.uniform(1, in * r, -1, 1),
        TestArrays.uniform(2, r * out, -1, 1));
    try (GraphRunner g = new GraphRunner()) {
      Operand<T> delta = DeltaWeight.of(g.tf(), LowRankUpdateTest.factors(g, dtype.type(), f), scaling);
      assertArrayEquals(new long[] {in, out}, GraphRunner.staticShape(delta));
      double[] actual = g.run(delta);
      assertClose(ReferenceVbLora.delta(f, scaling), actual, 10 * dtype.tolerance, "delta [in, out]");
      assertClose(ReferenceVbLora.transpose(ReferenceVbLora.peftDelta(f, scaling), out, in), actual,
          10 * dtype.tolerance, "PEFT's B_pt @ A_pt, transposed");
    }
  }

  /**
   * ofAll batches the kernels of equal shape into one matmul; each kernel still gets exactly its own delta, and
   * each factor exactly its own gradient: for loss = sum_i sum(delta_i * W_i), d/d down_i = s W_i up_i^T and
   * d/d up_i = s down_i^T W_i. Shapes interleaved, so that the batches must be taken apart in the right order.
   */
  @ParameterizedTest(name = "{0}")
  @EnumSource(DType.class)
  <T extends TNumber> void batchedDeltasAreEachKernelsOwnWithItsOwnGradients(DType dtype) {
    int[][] sizes = {{4, 2, 6}, {3, 1, 5}, {4, 2, 6}, {4, 2, 6}, {6, 2, 4}};
    double scaling = 0.5;
    try (GraphRunner g = new GraphRunner()) {
      List<ReferenceVbLora.Factors> reference = new ArrayList<>();
      List<LowRankFactors<T>> factors = new ArrayList<>();
      List<double[]> weights = new ArrayList<>();
      Operand<T> loss = null;
      for (int i = 0; i < sizes.length; i++) {
        int in = sizes[i][0];
        int r = sizes[i][1];
        int out = sizes[i][2];
        ReferenceVbLora.Factors f = new ReferenceVbLora.Factors(in, r, out,
            TestArrays.uniform(10 + i, in * r, -1, 1), TestArrays.uniform(20 + i, r * out, -1, 1));
        reference.add(f);
        factors.add(LowRankUpdateTest.factors(g, dtype.type(), f));
        weights.add(TestArrays.uniform(30 + i, in * out, -1, 1));
      }
      List<Operand<T>> deltas = DeltaWeight.ofAll(g.tf(), factors, scaling);
      List<Operand<?>> wrt = new ArrayList<>();
      for (int i = 0; i < sizes.length; i++) {
        ReferenceVbLora.Factors f = reference.get(i);
        Operand<T> w = g.input(dtype.type(), new long[] {f.in(), f.out()}, weights.get(i));
        Operand<T> term = g.tf().reduceSum(g.tf().math.mul(deltas.get(i), w), g.tf().constant(new int[] {0, 1}));
        loss = loss == null ? term : g.tf().math.add(loss, term);
        wrt.add(factors.get(i).down());
        wrt.add(factors.get(i).up());
      }
      Gradients grads = g.tf().gradients(loss, wrt);
      List<Operand<?>> fetches = new ArrayList<>(deltas);
      for (Output<?> dy : grads.dy()) {
        fetches.add(dy);
      }
      List<double[]> values = g.run(fetches);
      for (int i = 0; i < sizes.length; i++) {
        ReferenceVbLora.Factors f = reference.get(i);
        assertArrayEquals(new long[] {f.in(), f.out()}, GraphRunner.staticShape(deltas.get(i)), "shape " + i);
        assertClose(ReferenceVbLora.delta(f, scaling), values.get(i), 10 * dtype.tolerance, "delta " + i);
        double[] w = weights.get(i);
        double[] dDown = new double[f.in() * f.rank()];
        double[] dUp = new double[f.rank() * f.out()];
        for (int row = 0; row < f.in(); row++) {
          for (int a = 0; a < f.rank(); a++) {
            for (int col = 0; col < f.out(); col++) {
              dDown[row * f.rank() + a] += scaling * w[row * f.out() + col] * f.up()[a * f.out() + col];
              dUp[a * f.out() + col] += scaling * f.down()[row * f.rank() + a] * w[row * f.out() + col];
            }
          }
        }
        assertClose(dDown, values.get(sizes.length + 2 * i), 10 * dtype.tolerance, "d down " + i);
        assertClose(dUp, values.get(sizes.length + 2 * i + 1), 10 * dtype.tolerance, "d up " + i);
      }
    }
  }
}
