package dev.finetune.vblora.training.listen;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.data.io.AtomicFile;
import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.data.json.JsonException;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * DIR/log.jsonl: one JSON object per line, {"step","epoch","loss","lr","examples_per_s","grad_norm"} for
 * a logged step (every N steps and the run's last) and {"step","examples","eval":{...},"best"} for an
 * evaluation. Non-finite numbers are written as null, since JSON has no NaN. Each line is flushed, so the log
 * survives a crash.
 */
public final class JsonlLog implements TrainingListener {
  private final Writer out;
  private final long everySteps;
  /** The run's last step, always logged so that a run shorter than everySteps still has its loss; 0 unknown. */
  private long lastStep;

  /**
   * @param out receives the lines; closed by {@link #close()}
   * @param everySteps log every this many steps (evaluations are always logged)
   */
  public JsonlLog(Writer out, long everySteps) {
    if (everySteps < 1) {
      throw new VbLoraException("log every " + everySteps + " steps: must be >= 1");
    }
    this.out = out;
    this.everySteps = everySteps;
  }

  /**
   * Continues a resumed run's log: first drops every line after {@code checkpointStep} (steps the crashed
   * run logged past its last checkpoint, which the resume trains again, and a line torn by a full disk),
   * rewriting the file atomically, then appends. Without this a resume logged those steps twice.
   */
  public static JsonlLog resumingAt(Path file, long checkpointStep, long everySteps) throws IOException {
    if (Files.exists(file)) {
      StringBuilder kept = new StringBuilder();
      for (String line : lines(file)) {
        Map<String, Object> entry = parseLine(line);
        if (entry != null && ((Number) entry.get("step")).longValue() <= checkpointStep) {
          kept.append(line).append('\n');
        }
      }
      AtomicFile.writeString(file, kept.toString());
    }
    return appendingTo(file, everySteps);
  }

  /** The entries of a log written by this class, in file order; lines that are not entries are left out. */
  public static List<Map<String, Object>> read(Path file) throws IOException {
    List<Map<String, Object>> entries = new ArrayList<>();
    if (Files.exists(file)) {
      for (String line : lines(file)) {
        Map<String, Object> entry = parseLine(line);
        if (entry != null) {
          entries.add(entry);
        }
      }
    }
    return entries;
  }

  /** Leniently decoded: a crash may have cut a line inside a multi-byte character. */
  private static List<String> lines(Path file) throws IOException {
    return new String(Files.readAllBytes(file), StandardCharsets.UTF_8).lines().toList();
  }

  /** One entry, or null for a line that is not one (a line cut short by a crash or a full disk). */
  private static Map<String, Object> parseLine(String line) {
    try {
      Map<String, Object> entry = Json.parseObject(line);
      return entry.get("step") instanceof Number ? entry : null;
    } catch (JsonException e) {
      return null;
    }
  }

  /** Appends to {@code file} (created if missing). */
  public static JsonlLog appendingTo(Path file, long everySteps) throws IOException {
    BufferedWriter writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
        StandardOpenOption.APPEND, StandardOpenOption.WRITE);
    return new JsonlLog(writer, everySteps);
  }

  @Override
  public void onStart(TrainingPlan plan) {
    lastStep = plan.totalSteps();
  }

  @Override
  public void onStep(StepReport step) {
    if (step.step() % everySteps != 0 && step.step() != lastStep) {
      return;
    }
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("step", step.step());
    line.put("epoch", step.epoch());
    putNumber(line, "loss", step.loss());
    putNumber(line, "lr", step.learningRate());
    putNumber(line, "examples_per_s", step.examplesPerSecond());
    putNumber(line, "grad_norm", step.gradNorm());
    write(line);
  }

  @Override
  public void onEvaluation(EvaluationReport evaluation) {
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("step", evaluation.step());
    line.put("examples", evaluation.examples());
    Map<String, Object> eval = new LinkedHashMap<>();
    for (Map.Entry<String, Double> metric : evaluation.metrics().entrySet()) {
      putNumber(eval, metric.getKey(), metric.getValue());
    }
    line.put("eval", eval);
    line.put("best", evaluation.best());
    write(line);
  }

  @Override
  public void close() throws IOException {
    out.close();
  }

  private static void putNumber(Map<String, Object> object, String name, double value) {
    object.put(name, Double.isFinite(value) ? value : null);
  }

  private void write(Map<String, Object> line) {
    try {
      out.write(Json.toCompactJson(line));
      out.write('\n');
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("could not append to the training log: " + e.getMessage(), e);
    }
  }
}
