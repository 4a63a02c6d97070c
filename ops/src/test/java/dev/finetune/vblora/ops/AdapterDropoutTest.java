package dev.finetune.vblora.ops;

import static dev.finetune.vblora.ops.testing.TestArrays.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.finetune.vblora.ops.testing.GraphRunner;
import dev.finetune.vblora.ops.testing.ReferenceVbLora;
import dev.finetune.vblora.ops.testing.TestArrays;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.tensorflow.Operand;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;

/** Dropout on the adapter input: active only while the training switch is on, inverted scaling 1/(1-rate). */
class AdapterDropoutTest {
  private static final int N = 20_000;

  @Test
  void noneLeavesTheInputUntouched() {
    try (GraphRunner g = new GraphRunner()) {
      Operand<TFloat64> x = g.input(TFloat64.class, new long[] {2}, new double[] {1, 2});
      assertSame(x, AdapterDropout.none().apply(g.tf(), x));
      assertTrue(AdapterDropout.of(0, g.flag(true)).isNone(), "rate 0 is no dropout");
    }
  }

  @Test
  void whileTrainingZeroesAboutRateOfTheElementsAndScalesTheRest() {
    double rate = 0.3;
    double[] x = TestArrays.uniform(1, N, 0.5, 1.5);
    try (GraphRunner g = new GraphRunner()) {
      Operand<TBool> training = g.flag(true);
      Operand<TFloat32> dropped = AdapterDropout.of(rate, training, 17).apply(g.tf(),
          g.input(TFloat32.class, new long[] {N}, x));
      double[] y = g.run(dropped);
      int zeros = 0;
      for (int i = 0; i < N; i++) {
        if (y[i] == 0) {
          zeros++;
        } else if (Math.abs(y[i] - x[i] / (1 - rate)) > 1e-6) {
          fail("element " + i + " is " + y[i] + ", neither 0 nor x / (1 - rate) = " + x[i] / (1 - rate));
        }
      }
      // Binomial(20000, 0.3): standard deviation 65 elements, so +-400 is over 6 sigma.
      assertTrue(Math.abs(zeros - rate * N) < 400, zeros + " of " + N + " zeroed at rate " + rate);

      g.setFlag(training, false);
      assertClose(Arrays.stream(x).map(v -> (float) v).toArray(), g.run(dropped), 0, "not training: unchanged");
    }
  }

  @Test
  void aNumericSwitchWorksLikeABoolean() {
    try (GraphRunner g = new GraphRunner()) {
      Operand<TFloat64> on = g.input(TFloat64.class, new long[0], new double[] {1});
      Operand<TFloat64> x = g.input(TFloat64.class, new long[] {N}, TestArrays.uniform(2, N, 1, 2));
      double[] y = g.run(AdapterDropout.of(0.5, on, 3).apply(g.tf(), x));
      long zeros = Arrays.stream(y).filter(v -> v == 0).count();
      assertTrue(Math.abs(zeros - N / 2) < 500, zeros + " of " + N + " zeroed at rate 0.5");
      g.set(on, new double[] {0});
      assertArrayEquals(g.valuesOf(x), g.run(AdapterDropout.of(0.5, on, 3).apply(g.tf(), x)));
    }
  }

  @Test
  void theSameSeedGivesTheSameMaskInAFreshGraph() {
    double[] x = TestArrays.uniform(4, 64, 1, 2);
    double[][] firstRuns = new double[2][];
    for (int run = 0; run < 2; run++) {
      try (GraphRunner g = new GraphRunner()) {
        firstRuns[run] = g.run(AdapterDropout.of(0.4, g.flag(true), 99).apply(g.tf(),
            g.input(TFloat64.class, new long[] {64}, x)));
      }
    }
    assertArrayEquals(firstRuns[0], firstRuns[1]);
  }

  @Test
  void theLowRankUpdateSeesTheDroppedInputAndTheBaseOutputDoesNot() {
    int in = 4000;
    double rate = 0.25;
    double[] x = TestArrays.uniform(5, in, 1, 2);
    double[] base = TestArrays.uniform(6, in, -1, 1);
    double[] ones = new double[in];
    Arrays.fill(ones, 1);
    try (GraphRunner g = new GraphRunner()) {
      // down = a column of ones and up = [[1]]: the update is the sum of the kept, rescaled inputs.
      Operand<TBool> training = g.flag(true);
      LowRankFactors<TFloat64> f = new LowRankFactors<>(g.input(TFloat64.class, new long[] {in, 1}, ones),
          g.input(TFloat64.class, new long[] {1, 1}, new double[] {1}));
      Operand<TFloat64> y = LowRankUpdate.apply(g.tf(), g.input(TFloat64.class, new long[] {1, in}, x),
          g.input(TFloat64.class, new long[] {1, 1}, new double[] {base[0]}), f, 1, AdapterDropout.of(rate, training, 5));
      double full = Arrays.stream(x).sum();
      double trained = g.run(y)[0] - base[0];
      assertTrue(Math.abs(trained - full) > 1e-6, "dropout changed the adapter path");
      assertTrue(Math.abs(trained - full) < 0.1 * full, "inverted scaling keeps the expectation: " + trained + " vs "
          + full);
      g.setFlag(training, false);
      ReferenceVbLora.Factors sum = new ReferenceVbLora.Factors(in, 1, 1, ones, new double[] {1});
      assertClose(ReferenceVbLora.update(x, new double[] {base[0]}, sum, 1), g.run(y), 1e-9, "evaluation");
    }
  }

  @Test
  void rejectsBadRatesAndSwitches() {
    try (GraphRunner g = new GraphRunner()) {
      Operand<TBool> on = g.flag(true);
      for (double rate : new double[] {-0.1, 1.0, Double.NaN}) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AdapterDropout.of(rate, on));
        assertTrue(e.getMessage().contains("dropout rate"), e.getMessage());
      }
      Operand<TFloat64> vector = g.input(TFloat64.class, new long[] {2}, new double[2]);
      assertThrows(IllegalArgumentException.class, () -> AdapterDropout.of(0.1, vector));
      assertThrows(IllegalArgumentException.class, () -> AdapterDropout.of(0.1, null));
      assertEquals(0.1, AdapterDropout.of(0.1, on).rate());
    }
  }
}
