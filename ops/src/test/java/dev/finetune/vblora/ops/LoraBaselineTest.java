package dev.finetune.vblora.ops;

import static dev.finetune.vblora.ops.TopKAdmixtureTest.assertGradientMatches;
import static dev.finetune.vblora.ops.testing.TestArrays.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.ops.testing.GraphRunner;
import dev.finetune.vblora.ops.testing.ReferenceVbLora;
import dev.finetune.vblora.ops.testing.TestArrays;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.family.TNumber;

/** The LoRA baseline: plain factor tensors through the same update path, PEFT's init and alpha / r scaling. */
class LoraBaselineTest {
  private static final LayerShape LAYER = new LayerShape("bert/encoder/layer_0/attention/self/query/kernel", 48, 24);
  private static final LoraDims DIMS = new LoraDims(4, 8);

  @ParameterizedTest
  @EnumSource(DType.class)
  <T extends TNumber> void atInitTheAdaptedOutputIsExactlyTheBaseOutput(DType dtype) {
    try (GraphRunner g = new GraphRunner()) {
      Ops tf = g.tf();
      Class<T> type = dtype.type();
      LowRankFactors<T> f = new LowRankFactors<>(LoraFactorsInit.down(tf, LAYER, DIMS, 7, type),
          LoraFactorsInit.up(tf, LAYER, DIMS, type));
      Operand<T> x = g.input(type, new long[] {2, 5, 48}, TestArrays.uniform(1, 480, -1, 1));
      Operand<T> base = tf.linalg.einsum(List.of(x, g.input(type, new long[] {48, 24},
          TestArrays.uniform(2, 48 * 24, -1, 1))), "bsi,io->bso");
      Operand<T> y = LowRankUpdate.apply(tf, x, base, f, DIMS.scaling(), AdapterDropout.none());
      List<double[]> values = g.run(List.of(base, y, DeltaWeight.of(tf, f, DIMS.scaling())));
      assertArrayEquals(values.get(0), values.get(1), "y == x W bit for bit");
      assertTrue(Arrays.stream(values.get(2)).allMatch(v -> v == 0), "delta is zero at init");
    }
  }

  @Test
  void downIsKaimingUniformWithPeftsBoundAndReproducibleFromTheSeed() {
    try (GraphRunner g = new GraphRunner()) {
      Ops tf = g.tf();
      LayerShape other = new LayerShape("bert/encoder/layer_0/attention/self/value/kernel", 48, 24);
      Operand<TFloat64> down = LoraFactorsInit.down(tf, LAYER, DIMS, 7, TFloat64.class);
      assertArrayEquals(new long[] {48, 4}, GraphRunner.staticShape(down));
      List<double[]> values = g.run(List.of(down, LoraFactorsInit.down(tf, LAYER, DIMS, 7, TFloat64.class),
          LoraFactorsInit.down(tf, other, DIMS, 7, TFloat64.class), LoraFactorsInit.down(tf, LAYER, DIMS, 8,
              TFloat64.class), LoraFactorsInit.up(tf, LAYER, DIMS, TFloat64.class)));
      double bound = 1 / Math.sqrt(48);  // kaiming_uniform_(a=sqrt(5)) on lora_A [r, in]: gain sqrt(1/3) * sqrt(3/in)
      double[] d = values.get(0);
      assertTrue(Arrays.stream(d).allMatch(v -> Math.abs(v) <= bound), "within +-1/sqrt(in)");
      assertTrue(Arrays.stream(d).max().getAsDouble() > 0.8 * bound, "uses the range");
      assertTrue(Arrays.stream(d).min().getAsDouble() < -0.8 * bound, "uses the range");
      assertArrayEquals(d, values.get(1), "same seed, same layer: same values");
      assertFalse(Arrays.equals(d, values.get(2)), "another layer gets other values");
      assertFalse(Arrays.equals(d, values.get(3)), "another seed gives other values");
      assertEquals(4 * 24, values.get(4).length);
      assertTrue(Arrays.stream(values.get(4)).allMatch(v -> v == 0), "up is zero");
    }
  }

  @Test
  void trainedFactorsGiveDeltaDownTimesUpTimesAlphaOverR() {
    assertEquals(2.0, DIMS.scaling());
    ReferenceVbLora.Factors f = new ReferenceVbLora.Factors(48, 4, 24, TestArrays.uniform(1, 48 * 4, -1, 1),
        TestArrays.uniform(2, 4 * 24, -1, 1));
    double[] x = TestArrays.uniform(3, 3 * 48, -1, 1);
    double[] base = TestArrays.uniform(4, 3 * 24, -1, 1);
    try (GraphRunner g = new GraphRunner()) {
      LowRankFactors<TFloat64> factors = LowRankUpdateTest.factors(g, TFloat64.class, f);
      List<double[]> values = g.run(List.of(DeltaWeight.of(g.tf(), factors, DIMS.scaling()),
          LowRankUpdate.apply(g.tf(), g.input(TFloat64.class, new long[] {3, 48}, x),
              g.input(TFloat64.class, new long[] {3, 24}, base), factors, DIMS.scaling(), AdapterDropout.none())));
      double[] expectedDelta = ReferenceVbLora.matMul(f.down(), f.up(), 48, 4, 24);
      Arrays.setAll(expectedDelta, i -> expectedDelta[i] * 8 / 4);
      assertClose(expectedDelta, values.get(0), 1e-12, "delta = down @ up * alpha / r");
      assertClose(ReferenceVbLora.update(x, base, f, 2.0), values.get(1), 1e-12, "y");
    }
  }

  @Test
  void gradientsReachBothFactorsAndMatchFiniteDifferences() {
    try (GraphRunner g = new GraphRunner()) {
      Ops tf = g.tf();
      LayerShape small = new LayerShape("small", 5, 3);
      LoraDims dims = new LoraDims(2, 4);
      Operand<TFloat64> down = g.input(TFloat64.class, dims.downShape(small), TestArrays.uniform(1, 10, -1, 1));
      Operand<TFloat64> up = g.input(TFloat64.class, dims.upShape(small), new double[6]);  // zero, as at init
      Operand<TFloat64> x = g.input(TFloat64.class, new long[] {2, 4, 5}, TestArrays.uniform(2, 40, -1, 1));
      Operand<TFloat64> base = g.input(TFloat64.class, new long[] {2, 4, 3}, TestArrays.uniform(3, 24, -1, 1));
      Operand<TFloat64> y = LowRankUpdate.apply(tf, x, base, new LowRankFactors<>(down, up), dims.scaling(),
          AdapterDropout.none());
      Operand<TFloat64> loss = TopKAdmixtureTest.weightedSum(g, y, new long[] {2, 4, 3},
          TestArrays.uniform(4, 24, -1, 1));
      // At init only up gets a gradient (down's is multiplied by up = 0), as in PEFT.
      Output<?>[] grads = g.graph().addGradients(loss.asOutput(), new Output<?>[] {down.asOutput()});
      assertTrue(Arrays.stream(g.run(grads[0])).allMatch(v -> v == 0), "down's gradient is zero while up is zero");
      assertGradientMatches(g, loss, up, "up at init");
      g.set(up, TestArrays.uniform(5, 6, -1, 1));
      assertGradientMatches(g, loss, down, "down");
      assertGradientMatches(g, loss, up, "up");
    }
  }

  @Test
  void loraDimsAreValidated() {
    assertThrows(IllegalArgumentException.class, () -> new LoraDims(0, 8));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new LoraDims(4, -1));
    assertTrue(e.getMessage().contains("lora_alpha"), e.getMessage());
    assertArrayEquals(new long[] {48, 4}, DIMS.downShape(LAYER));
    assertArrayEquals(new long[] {4, 24}, DIMS.upShape(LAYER));
  }
}
