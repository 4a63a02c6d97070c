package dev.finetune.vblora.training.listen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.training.guard.LossGuardListener;
import dev.finetune.vblora.training.guard.NonFiniteLossException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The default listeners of a run, as DJL's TrainingListener.Defaults: ready-made sets a caller may replace. */
class TrainingListenersTest {
  @TempDir Path dir;

  private TrainingListeners.RunContext fresh() {
    return new TrainingListeners.RunContext(dir, 0, null, "accuracy", 1);
  }

  @Test
  void theDefaultsAreTheLossGuardFirstThenTheFileLogs() throws Exception {
    List<TrainingListener> defaults = TrainingListeners.defaults().create(fresh());
    try (CompositeListener all = new CompositeListener(defaults)) {
      assertEquals(List.of(LossGuardListener.class, JsonlLog.class, TensorBoardLog.class, CurvePlot.class),
          defaults.stream().map(Object::getClass).toList());
      all.onStep(new StepReport(1, 0, 0.69, 1e-3, 100, 1.0));
      // A non-finite step stops the run before any log records it.
      assertThrows(NonFiniteLossException.class, () -> all.onStep(new StepReport(2, 0, Double.NaN, 1e-3, 100,
          1.0)));
    }
    assertEquals(List.of(1L), JsonlLog.read(dir.resolve("log.jsonl")).stream()
        .map(e -> ((Number) e.get("step")).longValue()).toList());
    assertTrue(Files.isDirectory(dir.resolve("tensorboard")));
  }

  @Test
  void aCallerMayDropTheFileLogsAndKeepTheGuard() throws Exception {
    List<TrainingListener> guardOnly = TrainingListeners.lossGuard().create(fresh());
    assertEquals(List.of(LossGuardListener.class), guardOnly.stream().map(Object::getClass).toList());
    assertEquals(List.of(), TrainingListeners.none().create(fresh()));
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(0, files.count(), "neither writes a file");
    }
  }

  @Test
  void andAppendsTheCallersOwnListenersToASet() throws Exception {
    List<String> heard = new ArrayList<>();
    TrainingListener mine = new TrainingListener() {
      @Override
      public void onEvaluation(EvaluationReport evaluation) {
        heard.add("mine " + evaluation.step());
      }
    };
    List<TrainingListener> listeners = TrainingListeners.lossGuard().and(run -> List.of(mine)).create(fresh());
    assertEquals(2, listeners.size());
    new CompositeListener(listeners).onEvaluation(new EvaluationReport(4, 8, Map.of("accuracy", 0.5), true));
    assertEquals(List.of("mine 4"), heard);
  }

  @Test
  void theGuardNamesTheNewestCheckpointItHeardOfOrTheOneTheRunResumedFrom() {
    Path resumed = dir.resolve("checkpoints/step-2");
    LossGuardListener guard = new LossGuardListener(resumed);
    NonFiniteLossException first = assertThrows(NonFiniteLossException.class,
        () -> guard.onStep(new StepReport(3, 0, Double.POSITIVE_INFINITY, 1e-3, 100, 1.0)));
    assertTrue(first.getMessage().contains("last good checkpoint is kept: " + resumed), first.getMessage());
    Path newer = dir.resolve("checkpoints/step-4");
    guard.onCheckpoint(4, newer);
    NonFiniteLossException second = assertThrows(NonFiniteLossException.class,
        () -> guard.onStep(new StepReport(5, 0, Double.NaN, 1e-3, 100, 1.0)));
    assertTrue(second.getMessage().contains("last good checkpoint is kept: " + newer), second.getMessage());
  }

  @Test
  void aResumedRunsLogDropsTheStepsAfterItsCheckpoint() throws Exception {
    try (CompositeListener first = new CompositeListener(TrainingListeners.fileLogs().create(fresh()))) {
      for (int step = 1; step <= 3; step++) {
        first.onStep(new StepReport(step, 0, 0.5, 1e-3, 100, 1.0));
      }
    }
    TrainingListeners.RunContext resumed = new TrainingListeners.RunContext(dir, 2,
        dir.resolve("checkpoints/step-2"), "accuracy", 1);
    try (CompositeListener again = new CompositeListener(TrainingListeners.fileLogs().create(resumed))) {
      again.onStep(new StepReport(3, 0, 0.4, 1e-3, 100, 1.0));
    }
    assertEquals(List.of(1L, 2L, 3L), JsonlLog.read(dir.resolve("log.jsonl")).stream()
        .map(e -> ((Number) e.get("step")).longValue()).toList());
    assertEquals(0.4, ((Number) JsonlLog.read(dir.resolve("log.jsonl")).get(2).get("loss")).doubleValue(), 1e-12);
  }
}
