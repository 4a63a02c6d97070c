package dev.finetune.vblora.training.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.finetune.vblora.training.StepLaunch;
import java.util.List;
import org.junit.jupiter.api.Test;

class XlaComparisonTest {
  private static final Timings ANY = Timings.ofNanos(new long[] {1});

  @Test
  void theLargestRelativeDifferenceAndItsStep() {
    XlaComparison c = new XlaComparison("vblora", List.of(0.7, 0.5, 0.2), List.of(0.7, 0.51, 0.201), 3, ANY, ANY, StepLaunch.CLUSTERED);
    assertEquals(0.02, c.maxRelativeDifference(), 1e-12);
    assertEquals(1, c.stepOfMax());
    assertEquals(0.01, c.maxAbsoluteDifference(), 1e-12);
  }

  @Test
  void identicalRunsDifferByZero() {
    XlaComparison c = new XlaComparison("lora", List.of(0.7, 0.0), List.of(0.7, 0.0), 0, ANY, ANY, StepLaunch.CLUSTERED);
    assertEquals(0.0, c.maxRelativeDifference());
  }

  @Test
  void runsOfDifferentLengthsCannotBeCompared() {
    assertThrows(IllegalArgumentException.class,
        () -> new XlaComparison("vblora", List.of(0.7), List.of(0.7, 0.6), 0, ANY, ANY, StepLaunch.CLUSTERED));
  }
}
