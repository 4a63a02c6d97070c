package dev.finetune.vblora.training.listen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.data.json.Json;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonlLogTest {
  @Test
  void writesOneObjectPerLoggedStepAndPerEvaluation() throws IOException {
    StringWriter text = new StringWriter();
    try (JsonlLog log = new JsonlLog(text, 2)) {
      log.onStep(new StepReport(1, 0, 0.9, 1e-4, 100, 2.5));
      log.onStep(new StepReport(2, 0, 0.75, 2e-4, 120, Double.NaN));
      Map<String, Double> metrics = new LinkedHashMap<>();
      metrics.put("pearson", 0.5);
      metrics.put("spearman", Double.NaN);
      log.onEvaluation(new EvaluationReport(2, 30, metrics, true));
    }
    List<String> lines = text.toString().lines().toList();
    assertEquals(2, lines.size(), "step 1 is not a multiple of 2 and is skipped");
    // what Python's json.dumps(line, separators=(",", ":")) writes for the same line
    assertEquals("{\"step\":2,\"epoch\":0,\"loss\":0.75,\"lr\":0.0002,\"examples_per_s\":120.0,"
        + "\"grad_norm\":null}", lines.get(0), "one compact object per line; NaN becomes null");
    Map<String, Object> step = Json.parseObject(lines.get(0));
    assertEquals(2, Json.getLong(step, "step"));
    assertEquals(0, Json.getInt(step, "epoch"));
    assertEquals(0.75, Json.getDouble(step, "loss"));
    assertEquals(2e-4, Json.getDouble(step, "lr"));
    assertEquals(120.0, Json.getDouble(step, "examples_per_s"));
    assertTrue(step.containsKey("grad_norm") && step.get("grad_norm") == null, "NaN becomes null");
    Map<String, Object> eval = Json.parseObject(lines.get(1));
    assertEquals(2, Json.getLong(eval, "step"));
    assertEquals(30, Json.getLong(eval, "examples"));
    Map<String, Object> metrics = Json.getObject(eval, "eval");
    assertEquals(0.5, Json.getDouble(metrics, "pearson"));
    assertTrue(metrics.containsKey("spearman") && metrics.get("spearman") == null);
    assertTrue(Json.getBoolean(eval, "best"));
  }

  /** A run shorter than the logging interval (3 steps, a line every 10) still logs its last step's loss. */
  @Test
  void theRunsLastStepIsLoggedEvenOffTheInterval() throws IOException {
    StringWriter text = new StringWriter();
    try (JsonlLog log = new JsonlLog(text, 10)) {
      log.onStart(new TrainingPlan(3, 0, 1, 3, 4, 12));
      for (int step = 1; step <= 3; step++) {
        log.onStep(new StepReport(step, 0, 1.0 / step, 1e-4, 100, 1));
      }
    }
    List<String> lines = text.toString().lines().toList();
    assertEquals(1, lines.size(), text.toString());
    assertEquals(3, Json.getLong(Json.parseObject(lines.get(0)), "step"));
  }

  @Test
  void appendsToAnExistingLogSoAResumedRunContinuesIt(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("log.jsonl");
    try (JsonlLog log = JsonlLog.appendingTo(file, 1)) {
      log.onStep(new StepReport(1, 0, 1.0, 1e-3, 1, 1));
    }
    try (JsonlLog log = JsonlLog.appendingTo(file, 1)) {
      log.onStep(new StepReport(2, 0, 0.5, 1e-3, 1, 1));
    }
    List<String> lines = Files.readAllLines(file);
    assertEquals(2, lines.size());
    assertEquals(2, Json.getLong(Json.parseObject(lines.get(1)), "step"));
  }

  /**
   * A run that crashed (a full disk) after logging steps 3 and 4 and tearing the line of step 5 (inside a
   * two-byte character) resumes from its step-2 checkpoint: the log keeps steps 1 and 2 and step 2's
   * evaluation, and continues with step 3, once.
   */
  @Test
  void aResumeDropsWhatTheCrashedRunLoggedAfterItsCheckpoint(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("log.jsonl");
    try (JsonlLog log = JsonlLog.appendingTo(file, 1)) {
      for (int step = 1; step <= 4; step++) {
        log.onStep(new StepReport(step, 0, 1.0 / step, 1e-4, 100, 1));
        if (step % 2 == 0) {
          log.onEvaluation(new EvaluationReport(step, 8, Map.of("accuracy", 0.5), step == 2));
        }
      }
    }
    byte[] torn = "{\"step\":5,\"\u00e9".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    Files.write(file, java.util.Arrays.copyOf(torn, torn.length - 1), java.nio.file.StandardOpenOption.APPEND);

    try (JsonlLog log = JsonlLog.resumingAt(file, 2, 1)) {
      log.onStep(new StepReport(3, 0, 0.3, 1e-4, 100, 1));
    }
    List<String> entries = JsonlLog.read(file).stream()
        .map(e -> (e.containsKey("eval") ? "eval " : "step ") + e.get("step")).toList();
    assertEquals(List.of("step 1", "step 2", "eval 2", "step 3"), entries);
    assertEquals(4, Files.readAllLines(file).size(), "the torn line is gone too");
  }
}
