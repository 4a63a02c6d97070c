package dev.finetune.vblora.training.listen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
  private static final ObjectMapper JSON = new ObjectMapper();

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
    JsonNode step = JSON.readTree(lines.get(0));
    assertEquals(2, step.get("step").asLong());
    assertEquals(0, step.get("epoch").asInt());
    assertEquals(0.75, step.get("loss").asDouble());
    assertEquals(2e-4, step.get("lr").asDouble());
    assertEquals(120.0, step.get("examples_per_s").asDouble());
    assertTrue(step.get("grad_norm").isNull(), "NaN becomes null");
    JsonNode eval = JSON.readTree(lines.get(1));
    assertEquals(2, eval.get("step").asLong());
    assertEquals(30, eval.get("examples").asLong());
    assertEquals(0.5, eval.get("eval").get("pearson").asDouble());
    assertTrue(eval.get("eval").get("spearman").isNull());
    assertTrue(eval.get("best").asBoolean());
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
    assertEquals(2, JSON.readTree(lines.get(1)).get("step").asLong());
  }
}
