package dev.finetune.vblora.training.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class TimingsTest {
  @Test
  void oddCountsTakeTheMiddleStep() {
    Timings t = Timings.ofNanos(new long[] {30_000_000, 10_000_000, 20_000_000});
    assertEquals(20.0, t.medianMs(), 1e-12);
    assertEquals(10.0, t.minMs(), 1e-12);
    assertEquals(30.0, t.maxMs(), 1e-12);
    assertEquals(20.0, t.meanMs(), 1e-12);
    assertEquals(3, t.steps());
  }

  @Test
  void evenCountsAverageTheMiddleTwo() {
    Timings t = Timings.ofNanos(new long[] {4_000_000, 1_000_000, 2_000_000, 100_000_000});
    assertEquals(3.0, t.medianMs(), 1e-12);
    assertEquals(26.75, t.meanMs(), 1e-12);
  }

  @Test
  void examplesPerSecondIsTheBatchOverTheMedianStep() {
    assertEquals(400.0, Timings.ofNanos(new long[] {20_000_000}).examplesPerSecond(8), 1e-9);
  }

  @Test
  void noStepsIsAnError() {
    assertThrows(IllegalArgumentException.class, () -> Timings.ofNanos(new long[0]));
  }
}
