package dev.finetune.vblora.training.guard;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LossGuardTest {

  @ParameterizedTest
  @ValueSource(doubles = {0.0, 1e-30, 0.69, 1e30, -2.0})
  void finiteLossesPass(double loss) {
    assertDoesNotThrow(() -> LossGuard.check(7, loss, null));
  }

  @Test
  void nanNamesTheStepAndTheKeptCheckpoint() {
    NonFiniteLossException e = assertThrows(NonFiniteLossException.class,
        () -> LossGuard.check(123, Double.NaN, "out/checkpoints/step-100"));
    assertEquals(123, e.step());
    assertTrue(Double.isNaN(e.loss()));
    assertTrue(e.getMessage().startsWith("training loss is NaN at step 123"), e.getMessage());
    assertTrue(e.getMessage().contains("last good checkpoint is kept: out/checkpoints/step-100"), e.getMessage());
    assertTrue(e.getMessage().contains("continue from it with resume"), e.getMessage());
    assertTrue(e.settings().contains("resume") && e.setting().equals(java.util.Optional.of("lrBank")),
        "the learning rates first, then resume: " + e.settings());
  }

  @Test
  void infinitySaysWhenThereIsNoCheckpointYet() {
    NonFiniteLossException e = assertThrows(NonFiniteLossException.class,
        () -> LossGuard.check(3, Double.POSITIVE_INFINITY, null));
    assertTrue(e.getMessage().contains("+infinity at step 3"), e.getMessage());
    assertTrue(e.getMessage().contains("No checkpoint had been saved yet"), e.getMessage());
  }
}
