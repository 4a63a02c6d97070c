package dev.finetune.vblora.training.timing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Phase times add up to what the clock saw, and compilation time moves out of the phase that compiled. */
class RunClockTest {
  private long now;

  @Test
  void compilationTimeMovesFromThePhaseThatCompiledAndNothingIsCountedTwice() {
    now = 1_000;
    RunClock clock = new RunClock(() -> now, 0);
    long start = clock.now();
    now += 2_000_000_000L;
    clock.since(Phase.LOAD, start);
    start = clock.now();
    now += 5_000_000_000L; // a training step that compiled for 3 s
    clock.since(Phase.TRAIN, start);
    clock.compiled(Phase.TRAIN, 1, 0, 3_000_000_000L);
    start = clock.now();
    now += 1_000_000_000L; // an evaluation that loaded its executable from the cache in 0.5 s
    clock.since(Phase.EVAL, start);
    clock.compiled(Phase.EVAL, 1, 1, 500_000_000L);

    RunTimings t = clock.snapshot();
    assertEquals(2.0, t.seconds(Phase.LOAD), 1e-9);
    assertEquals(2.0, t.seconds(Phase.TRAIN), 1e-9);
    assertEquals(0.5, t.seconds(Phase.EVAL), 1e-9);
    assertEquals(3.5, t.seconds(Phase.COMPILE), 1e-9);
    assertEquals(2, t.compilations());
    assertEquals(1, t.compilationsFromCache());
    double phases = t.phaseSeconds().values().stream().mapToDouble(Double::doubleValue).sum();
    assertEquals(t.totalSeconds(), phases, 1e-6, "every second booked once: " + t.phaseSeconds());
  }

  @Test
  void jsonAndSummaryNameEveryPhase() {
    now = 0;
    RunClock clock = new RunClock(() -> now, 0);
    now = 1_500_000_000L;
    clock.since(Phase.EXPORT, 0);
    RunTimings t = clock.snapshot();
    Map<String, Object> json = t.toJson();
    assertEquals(1.5, json.get("total_s"));
    @SuppressWarnings("unchecked")
    Map<String, Object> phases = (Map<String, Object>) json.get("phases_s");
    assertEquals(Phase.values().length, phases.size());
    assertEquals(1.5, phases.get("export"));
    assertTrue(t.summary().startsWith("time 1.5 s: startup 0.0, load 0.0"), t.summary());
    assertTrue(t.summary().contains("compile 0.0 (0 compilations)"), t.summary());
  }

  @Test
  void aClockSinceProcessStartBooksTheTimeBeforeItAsStartup() {
    RunClock clock = RunClock.sinceProcessStart();
    RunTimings t = clock.snapshot();
    assertTrue(t.seconds(Phase.STARTUP) > 0, "this JVM started before the test: " + t.seconds(Phase.STARTUP));
    assertTrue(t.totalSeconds() >= t.seconds(Phase.STARTUP) - 1e-3);
  }
}
