package dev.finetune.vblora.training.listen;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.DoubleSupplier;
import org.tensorflow.proto.Event;
import org.tensorflow.proto.Summary;

/**
 * A TensorBoard event file (events.out.tfevents.SECONDS.HOST) with the training scalars under "train/"
 * and the evaluation metrics under "eval/". Written with TensorFlow's own Event and Summary protos, so
 * `tensorboard --logdir DIR` reads it like a Python run's.
 */
public final class TensorBoardLog implements TrainingListener {
  private final TfRecordWriter records;
  private final DoubleSupplier wallSeconds;
  private final Path file;

  private TensorBoardLog(TfRecordWriter records, DoubleSupplier wallSeconds, Path file) {
    this.records = records;
    this.wallSeconds = wallSeconds;
    this.file = file;
  }

  /** A new event file in {@code logDir} (created if missing), stamped with the current time and host. */
  public static TensorBoardLog create(Path logDir) throws IOException {
    return create(logDir, () -> System.currentTimeMillis() / 1000.0, hostName());
  }

  public static TensorBoardLog create(Path logDir, DoubleSupplier wallSeconds, String host) throws IOException {
    Files.createDirectories(logDir);
    double now = wallSeconds.getAsDouble();
    Path file = logDir.resolve("events.out.tfevents." + (long) now + "." + host);
    TfRecordWriter records = new TfRecordWriter(new BufferedOutputStream(Files.newOutputStream(file)));
    TensorBoardLog log = new TensorBoardLog(records, wallSeconds, file);
    log.write(Event.newBuilder().setWallTime(now).setFileVersion("brain.Event:2").build());
    return log;
  }

  public Path file() {
    return file;
  }

  @Override
  public void onStep(StepReport step) {
    Map<String, Double> scalars = new LinkedHashMap<>();
    scalars.put("train/loss", step.loss());
    scalars.put("train/learning_rate", step.learningRate());
    scalars.put("train/examples_per_s", step.examplesPerSecond());
    if (!Double.isNaN(step.gradNorm())) {
      scalars.put("train/grad_norm", step.gradNorm());
    }
    writeScalars(step.step(), scalars);
  }

  @Override
  public void onEvaluation(EvaluationReport evaluation) {
    Map<String, Double> scalars = new LinkedHashMap<>();
    evaluation.metrics().forEach((name, value) -> scalars.put("eval/" + name, value));
    writeScalars(evaluation.step(), scalars);
  }

  @Override
  public void close() throws IOException {
    records.close();
  }

  private void writeScalars(long step, Map<String, Double> scalars) {
    Summary.Builder summary = Summary.newBuilder();
    scalars.forEach((tag, value) ->
        summary.addValue(Summary.Value.newBuilder().setTag(tag).setSimpleValue(value.floatValue())));
    write(Event.newBuilder().setWallTime(wallSeconds.getAsDouble()).setStep(step).setSummary(summary).build());
  }

  private void write(Event event) {
    try {
      records.write(event.toByteArray());
      records.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("could not write TensorBoard events to " + file + ": " + e.getMessage(), e);
    }
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "localhost";
    }
  }
}
