package dev.finetune.vblora.training.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.ops.testing.RequiredInCi;
import dev.finetune.vblora.ops.testing.SharedFolder;
import dev.finetune.vblora.training.testing.Bert;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vblora bench} on BERT-base (and a Keras classifier): the JSON contract of docs/cli.md, and a clear failure
 * without a GPU.
 */
class BenchCommandTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... argv) {
    return new Cli(Main.commands(), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8)).run(argv);
  }

  /** Runs bench with {@code argv} and --json, which must succeed, and returns its JSON document. */
  private Map<String, Object> benchJson(String... argv) {
    List<String> args = new ArrayList<>(List.of("bench"));
    args.addAll(List.of(argv));
    args.add("--json");
    assertEquals(0, run(args.toArray(String[]::new)), err.toString(StandardCharsets.UTF_8));
    return Json.parseObject(out.toString(StandardCharsets.UTF_8));
  }

  /** The names of the measurements of a bench JSON document, in order. */
  private static List<String> measurementNames(Map<String, Object> json) {
    return Json.getArray(json, "measurements").stream()
        .map(m -> Json.getString(Json.asObject(m, "measurement"), "name")).toList();
  }

  @TempDir
  Path dir;

  @Test
  void aTinyRunPrintsOneWellFormedJsonDocumentWithPositiveFigures() throws IOException {
    Path table = dir.resolve("profile.tsv");
    Map<String, Object> json = benchJson("--model", Bert.folder().toString(), "--batch-size", "2", "--max-length",
        "16", "--steps", "2", "--warmup", "1", "--mode", "all", "--profile", "--profile-out", table.toString());

    Map<String, Object> stepMs = Json.getObject(json, "step_ms");
    double median = Json.getDouble(stepMs, "median");
    double min = Json.getDouble(stepMs, "min");
    double max = Json.getDouble(stepMs, "max");
    assertTrue(min > 0 && min <= median && median <= max, stepMs.toString());
    assertEquals(2 * 1000 / median, Json.getDouble(json, "examples_per_s"), 0.01 * 2000 / median);
    assertTrue(Json.getDouble(json, "peak_rss_mb") > 0);
    assertFalse(json.containsKey("peak_device_mb"), "no device memory on a CPU run");

    assertEquals(List.of("train/vblora", "forward/vblora", "merged/vblora", "base/none"), measurementNames(json));
    assertEquals("train/vblora", Json.getString(json, "primary"));
    for (Object m : Json.getArray(json, "measurements")) {
      Map<String, Object> measurement = Json.asObject(m, "measurement");
      assertTrue(Json.getDouble(Json.getObject(measurement, "step_ms"), "median") > 0);
      Map<String, Object> placement = Json.getObject(measurement, "placement");
      assertEquals(0, Json.getLong(placement, "host_compute_ops"), "CPU runs have no host fallback");
    }
    Map<String, Object> setup = Json.getObject(json, "setup");
    assertEquals("cpu", Json.getString(setup, "device"));
    assertEquals(1, Json.getLong(setup, "sync_every"), "by default every step reads its loss");
    Map<String, Object> forms = Json.getObject(Json.getObject(json, "update_form_kernels"), "vblora");
    assertEquals(Map.of("low-rank", 12L * 2), forms, "auto is low-rank on the CPU, for the q and v of 12 layers");
    assertFalse(json.containsKey("update_form_exceptions"));
    assertFalse(json.containsKey("enqueue_ms"),
        "a step that reads its loss waits for the device: no host time apart");

    Map<String, Object> profile = Json.getObject(json, "profile");
    assertEquals("train/vblora", Json.getString(profile, "measurement"));
    assertEquals("executor", Json.getString(profile, "source"), "a CPU step has no GPU streams");
    List<Object> top = Json.getArray(profile, "top");
    assertTrue(!top.isEmpty() && top.size() <= 15, top.toString());
    double shares = 0;
    double previous = Double.MAX_VALUE;
    List<String> ops = new java.util.ArrayList<>();
    for (Object o : top) {
      Map<String, Object> op = Json.asObject(o, "op");
      double total = Json.getDouble(op, "total_ms");
      assertTrue(total <= previous, "most time first: " + top);
      assertTrue(Json.getLong(op, "count") >= 1);
      assertTrue(Json.getString(op, "device").contains("CPU:0"), op.toString());
      previous = total;
      shares += Json.getDouble(op, "share");
      ops.add(Json.getString(op, "op"));
    }
    assertTrue(shares > 0 && shares <= 1.01, "shares of the summed op time: " + shares);
    assertTrue(ops.contains("MatMul") || ops.contains("BatchMatMulV2") || ops.contains("_MklMatMul")
        || ops.stream().anyMatch(o -> o.contains("MatMul")), "a BERT step spends its time in matmuls: " + ops);
    double busy = Json.getDouble(profile, "busy_ms");
    assertTrue(busy > 0 && busy <= Json.getDouble(profile, "span_ms") + 1e-3, profile.toString());
    assertFalse(Json.getArray(profile, "top_kernels").isEmpty());

    // --profile-out: a header and one row per traced entry, every one of them.
    List<String> lines = Files.readAllLines(table);
    assertEquals("device\tnode\tlabel\tstart_us\tduration_us", lines.get(0));
    assertEquals(Json.getLong(profile, "entries") + 1, lines.size());
    assertTrue(lines.stream().skip(1).allMatch(l -> l.split("\t", -1).length == 5), lines.get(1));
  }

  /**
   * A Keras classifier ends in its own output (ALBERT-tiny's pred, two classes): bench trains that output, as train
   * would, instead of refusing to add a head, and times every mode on it.
   */
  @Test
  void aModelThatEndsInItsOwnClassifierIsMeasuredThroughThatOutput() {
    Path albert = SharedFolder.resolve("fixtures/tf2/albert_tiny_zh");
    Map<String, Object> json = benchJson("--model", albert.toString(), "--vector-length", "12", "--num-vectors",
        "16", "--targets", "all-linear", "--exclude", "projector", "--batch-size", "2", "--max-length", "128",
        "--steps", "1", "--warmup", "1", "--mode", "all");
    assertEquals(List.of("train/vblora", "forward/vblora", "merged/vblora", "base/none"), measurementNames(json));
    assertEquals(Map.of("low-rank", 6L), Json.getObject(Json.getObject(json, "update_form_kernels"), "vblora"),
        "the six shared kernels of its encoder");
  }

  /**
   * A TF2 model's functions were traced at its signature's length (ALBERT-tiny's [-1, 128]): a shorter --max-length
   * would not run, so every batch takes that length, as train pads to it, and the report says so.
   */
  @Test
  void aTf2ModelsFixedLengthIsTheLengthItsBatchesTake() {
    Path albert = SharedFolder.resolve("fixtures/tf2/albert_tiny_zh");
    Map<String, Object> json = benchJson("--model", albert.toString(), "--vector-length", "12", "--num-vectors",
        "16", "--targets", "bert-qv", "--batch-size", "2", "--max-length", "32", "--steps", "1", "--warmup", "1",
        "--mode", "train");
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("traced at length 128"), err.toString());
    assertEquals(128, Json.getLong(Json.getObject(json, "setup"), "max_length"));
  }

  /**
   * A tabular Keras model ([-1, 72] float32 features, its own output): the features take their declared width
   * whatever --max-length says, and the run trains that output.
   */
  @Test
  void aFeatureModelsInputsTakeTheirDeclaredShape() {
    Path mlp = SharedFolder.resolve("fixtures/tf2/keras_dense_mlp");
    Map<String, Object> json = benchJson("--model", mlp.toString(), "--targets", "all-linear", "--exclude",
        "dense_3", "--vector-length", "8", "--num-vectors", "16", "--batch-size", "4", "--steps", "1", "--warmup",
        "1", "--mode", "all");
    assertEquals(List.of("train/vblora", "forward/vblora", "merged/vblora", "base/none"), measurementNames(json));
  }

  /** bench reads train's model io options: an input mapping that names no input is refused with that name. */
  @Test
  void theModelIoOptionsAreTrainsOwn() {
    Path albert = SharedFolder.resolve("fixtures/tf2/albert_tiny_zh");
    int status = run("bench", "--model", albert.toString(), "--vector-length", "12", "--input", "ids=input_ids",
        "--steps", "1", "--warmup", "0");
    assertTrue(status != 0);
    String message = err.toString(StandardCharsets.UTF_8);
    assertTrue(message.contains("ids=input_ids names no input"), message);
    assertTrue(message.contains("input_word_ids"), "the inputs it has are listed: " + message);
  }

  @Test
  void aProfileFileWithoutAProfileIsAUsageErrorBeforeAnythingRuns() {
    assertEquals(2, run("bench", "--model", "/nowhere/model", "--profile-out", dir.resolve("p.tsv").toString()));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("--profile"), err.toString(StandardCharsets.UTF_8));
    assertFalse(Files.exists(dir.resolve("p.tsv")));
  }

  @Test
  void syncEveryBelowOneIsRefusedWithItsName() {
    assertTrue(run("bench", "--model", "/nowhere/model", "--sync-every", "0") != 0);
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("--sync-every"), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void anUnknownUpdateFormIsAUsageError() {
    assertEquals(2, run("bench", "--model", "/nowhere/model", "--update-form", "dense"));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("low-rank"), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void askingForAGpuOnTheCpuBuildFailsWithWhatToDo() {
    RequiredInCi.assume(!System.getProperty("java.class.path").contains("linux-x86_64-gpu"),
        "needs the CPU build");
    int status = run("bench", "--model", "/nowhere/model", "--device", "gpu");
    String message = err.toString(StandardCharsets.UTF_8);
    assertEquals(1, status, message);
    assertTrue(message.contains("no GPU found"), message);
    assertTrue(message.contains("-Pgpu"), message);
    assertFalse(message.contains("\tat "), "no stack trace without --debug");
    assertEquals("", out.toString(StandardCharsets.UTF_8));
  }

  @Test
  void aPrecisionTheDeviceCannotRewriteIsAUsageError() {
    assertEquals(2, run("bench", "--model", "/nowhere/model", "--precision", "fp16"));
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("bf16"));
  }
}
