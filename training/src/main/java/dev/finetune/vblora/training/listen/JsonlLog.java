package dev.finetune.vblora.training.listen;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/**
 * DIR/log.jsonl: one JSON object per line, {"step","epoch","loss","lr","examples_per_s","grad_norm"} for
 * a logged step and {"step","examples","eval":{...},"best"} for an evaluation. Non-finite numbers are
 * written as null, since JSON has no NaN. Each line is flushed, so the log survives a crash.
 */
public final class JsonlLog implements TrainingListener {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Writer out;
  private final long everySteps;

  /**
   * @param out receives the lines; closed by {@link #close()}
   * @param everySteps log every this many steps (evaluations are always logged)
   */
  public JsonlLog(Writer out, long everySteps) {
    if (everySteps < 1) {
      throw new IllegalArgumentException("log every " + everySteps + " steps: must be >= 1");
    }
    this.out = out;
    this.everySteps = everySteps;
  }

  /** Appends to {@code file} (created if missing), so a resumed run continues its log. */
  public static JsonlLog appendingTo(Path file, long everySteps) throws IOException {
    BufferedWriter writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
        StandardOpenOption.APPEND, StandardOpenOption.WRITE);
    return new JsonlLog(writer, everySteps);
  }

  @Override
  public void onStep(StepReport step) {
    if (step.step() % everySteps != 0) {
      return;
    }
    ObjectNode line = JSON.createObjectNode();
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
    ObjectNode line = JSON.createObjectNode();
    line.put("step", evaluation.step());
    line.put("examples", evaluation.examples());
    ObjectNode eval = line.putObject("eval");
    for (Map.Entry<String, Double> metric : evaluation.metrics().entrySet()) {
      putNumber(eval, metric.getKey(), metric.getValue());
    }
    line.put("best", evaluation.best());
    write(line);
  }

  @Override
  public void close() throws IOException {
    out.close();
  }

  private static void putNumber(ObjectNode node, String name, double value) {
    if (Double.isFinite(value)) {
      node.put(name, value);
    } else {
      node.putNull(name);
    }
  }

  private void write(ObjectNode line) {
    try {
      out.write(JSON.writeValueAsString(line));
      out.write('\n');
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("could not append to the training log: " + e.getMessage(), e);
    }
  }
}
