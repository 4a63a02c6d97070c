package dev.finetune.vblora.training.listen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressBarTest {
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
  private final AtomicLong clock = new AtomicLong();

  private String printed() {
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void showsStepLossRateThroughputAndEta() {
    ProgressBar bar = new ProgressBar(out, clock::get, false, 1);
    bar.onStart(new TrainingPlan(100, 0, 2, 50, 16, 800));
    clock.set(5_000_000_000L); // 10 steps in 5 s: 90 more steps take 45 s
    bar.onStep(new StepReport(10, 0, 0.5, 1e-3, 32, 0.7));
    String line = printed().lines().reduce((a, b) -> b).orElseThrow();
    assertEquals("step  10/100 |##..................|  10% loss 0.5000 lr 1.00e-03 32.0 ex/s ETA 0m45s", line);
  }

  @Test
  void theStartLineCountsInTheSingularWhereThereIsOne() {
    new ProgressBar(out, clock::get, false, 1).onStart(new TrainingPlan(1, 0, 1, 1, 8, 8));
    assertEquals("training 1 step (1 epoch x 1 step, batch 8)", printed().strip());
    bytes.reset();
    new ProgressBar(out, clock::get, false, 1).onStart(new TrainingPlan(100, 0, 2, 50, 16, 800));
    assertEquals("training 100 steps (2 epochs x 50 steps, batch 16)", printed().strip());
    bytes.reset();
    new ProgressBar(out, clock::get, false, 1).onStart(new TrainingPlan(2, 0, 1, 25, 8, 200));
    assertEquals("training 2 steps (set by max steps; an epoch is 25 steps, batch 8)", printed().strip(),
        "a cap below the epochs is not written as 1 epoch x 25 steps");
  }

  @Test
  void etaCountsOnlyTheStepsOfThisRunWhenResuming() {
    ProgressBar bar = new ProgressBar(out, clock::get, false, 1);
    bar.onStart(new TrainingPlan(1000, 400, 10, 100, 8, 800));
    clock.set(10_000_000_000L); // 100 steps since the resume in 10 s: 500 left take 50 s
    bar.onStep(new StepReport(500, 4, 0.25, 1e-3, 80, 0.7));
    assertTrue(printed().contains("resuming at step 400"), printed());
    assertTrue(printed().contains("ETA 0m50s"), printed());
  }

  @Test
  void interactiveModeRedrawsOneLineInPlace() {
    ProgressBar bar = new ProgressBar(out, clock::get, true, 1);
    bar.onStart(new TrainingPlan(3, 0, 1, 3, 1, 3));
    bytes.reset();
    clock.set(1_000_000_000L);
    bar.onStep(new StepReport(1, 0, 1.25, 1e-3, 1, Double.NaN));
    bar.onStep(new StepReport(2, 0, 1.0, 1e-3, 1, Double.NaN));
    assertTrue(printed().startsWith("\rstep 1/3"), printed());
    assertFalse(printed().contains("\n"), "no newline while the run is going");
    bar.onStep(new StepReport(3, 0, 0.5, 1e-3, 1, Double.NaN));
    assertTrue(printed().endsWith(System.lineSeparator()), "the last step ends the line");
  }

  @Test
  void logModePrintsEveryNthStepAndTheLast() {
    ProgressBar bar = new ProgressBar(out, clock::get, false, 10);
    bar.onStart(new TrainingPlan(25, 0, 1, 25, 1, 25));
    bytes.reset();
    for (int step = 1; step <= 25; step++) {
      clock.addAndGet(1_000_000L);
      bar.onStep(new StepReport(step, 0, 1.0, 1e-3, 1, Double.NaN));
    }
    assertEquals(3, printed().lines().count(), printed());
    assertTrue(printed().lines().allMatch(l -> l.startsWith("step 10/") || l.startsWith("step 20/")
        || l.startsWith("step 25/")), printed());
  }

  @Test
  void evaluationAndEndAreLines() {
    ProgressBar bar = new ProgressBar(out, clock::get, false, 1);
    bar.onStart(new TrainingPlan(10, 0, 1, 10, 1, 10));
    bar.onEvaluation(new EvaluationReport(10, 40, Map.of("accuracy", 0.875), true));
    bar.onEnd(new TrainingSummary(10, 10, Map.of("accuracy", 0.875), Map.of("accuracy", 0.875), 12.5));
    assertTrue(printed().contains("eval at step 10 (40 examples): accuracy 0.8750 (best so far)"), printed());
    assertTrue(printed().contains("done: 10 steps, 12.5 ms/step, best at step 10"), printed());
    bytes.reset();
    bar.onEnd(new TrainingSummary(1, -1, Map.of(), Map.of(), 3.0));
    assertEquals("done: 1 step, 3.0 ms/step", printed().strip());
  }
}
