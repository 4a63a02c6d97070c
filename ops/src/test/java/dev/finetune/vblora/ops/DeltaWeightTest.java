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
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorflow.Operand;
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
}
