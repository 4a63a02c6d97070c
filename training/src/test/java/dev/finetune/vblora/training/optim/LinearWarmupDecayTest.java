package dev.finetune.vblora.training.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LinearWarmupDecayTest {

  /** Worked by hand from get_linear_schedule_with_warmup with warmup = ceil(ratio * total). */
  @ParameterizedTest(name = "ratio {0}, step {1} of {2} -> {3}")
  @CsvSource({
      // 100 steps, 6 warmup: up 0, 1/6, ..., then (100 - s) / 94
      "0.06, 0, 100, 0.0",
      "0.06, 3, 100, 0.5",
      "0.06, 5, 100, 0.8333333333333334",
      "0.06, 6, 100, 1.0",
      "0.06, 53, 100, 0.5",
      "0.06, 99, 100, 0.010638297872340425",
      "0.06, 100, 100, 0.0",
      "0.06, 150, 100, 0.0",
      // 10 steps: ceil(0.6) = 1 warmup step
      "0.06, 0, 10, 0.0",
      "0.06, 1, 10, 1.0",
      "0.06, 5, 10, 0.5555555555555556",
      // no warmup: straight linear decay from the first step
      "0.0, 0, 8, 1.0",
      "0.0, 4, 8, 0.5",
      "0.0, 7, 8, 0.125",
      // a single step with warmup: its only update has multiplier 0, as in Hugging Face
      "0.5, 0, 1, 0.0",
  })
  void multiplierFollowsWarmupThenLinearDecay(double ratio, long step, long total, double expected) {
    assertEquals(expected, new LinearWarmupDecay(ratio).multiplier(step, total), 1e-15);
  }

  @Test
  void warmupStepsRoundUp() {
    assertEquals(6, LinearWarmupDecay.defaults().warmupSteps(100));
    assertEquals(7, LinearWarmupDecay.defaults().warmupSteps(101));
    assertEquals(0, new LinearWarmupDecay(0).warmupSteps(101));
  }

  @Test
  void rejectsSettingsThatMakeNoSchedule() {
    assertThrows(IllegalArgumentException.class, () -> new LinearWarmupDecay(1.0));
    assertThrows(IllegalArgumentException.class, () -> new LinearWarmupDecay(-0.1));
    assertThrows(IllegalArgumentException.class, () -> LinearWarmupDecay.defaults().multiplier(0, 0));
    assertThrows(IllegalArgumentException.class, () -> LinearWarmupDecay.defaults().multiplier(-1, 10));
  }
}
