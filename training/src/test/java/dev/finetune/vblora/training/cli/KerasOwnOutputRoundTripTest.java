package dev.finetune.vblora.training.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.ops.testing.SharedFolder;
import dev.finetune.vblora.training.testing.CliRun;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * train -> merged export -> eval through the command line on the three Keras fixtures, each trained on its own
 * output (no new head) with feature inputs from JSONL and a learnable synthetic target: the loss falls, the merged
 * model is weights-only (saved_model.pb byte for byte the fixture's), and the merged model, loaded fresh and scored
 * through its own output, gives what the adapted training graph gave (valid_predictions.tsv) to 1e-5, as does the
 * base model plus the adapter; vblora merge of the adapter writes the same files.
 */
class KerasOwnOutputRoundTripTest {
  @TempDir
  Path dir;

  /**
   * One fixture: its input (name, shape per example, the scale of its values: the MLP was trained on small
   * features and answers Gaussian ones in the hundreds), the loss its own output gets, and targets whose sizes
   * {@code vectorLength} divides.
   */
  record Fixture(String name, String input, int[] shape, double scale, String loss, String targets,
      int vectorLength, String lrLogits) {
    @Override
    public String toString() {
      return name;
    }
  }

  static List<Fixture> fixtures() {
    return List.of(
        new Fixture("keras_dense_mlp", "dense_input", new int[] {72}, 0.2, "mse", "dense(_1|_2)?/kernel", 8,
            "0.05"),
        new Fixture("keras_mha1_encoder", "input_28", new int[] {30, 6}, 1, "mse", ".*(query|value)/kernel", 2, "0.05"),
        new Fixture("keras_mha3_timeseries", "input_1", new int[] {30, 37}, 1, "binary-cross-entropy",
            ".*multi_head_attention/(query|value)/kernel", 8, "0.05"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fixtures")
  void trainsItsOwnOutputAndExportsTheSameGraphWithNewWeights(Fixture fixture) throws Exception {
    Path model = SharedFolder.resolve("fixtures/tf2/" + fixture.name());
    Path train = write(dir.resolve("train.jsonl"), fixture, 64, 1);
    Path valid = write(dir.resolve("valid.jsonl"), fixture, 16, 2);
    Path out = dir.resolve("run");
    CliRun run = CliRun.of("train", "--model", model.toString(), "--train", train.toString(), "--valid",
        valid.toString(), "--targets", fixture.targets(), "--vector-length", Integer.toString(fixture.vectorLength()),
        "--num-vectors", "16", "--rank", "2", "--max-steps", "24", "--batch-size", "8", "--log-every", "1",
        "--lr-bank", "0.01", "--lr-logits", fixture.lrLogits(), "--warmup-ratio", "0", "--out", out.toString(), "--json");
    assertEquals(0, run.status(), run.toString());

    Path merged = out.resolve("merged");
    List<Double> losses = losses(out.resolve("log.jsonl"));
    assertEquals(24, losses.size(), "one log line per step");
    if (fixture.loss().equals("mse")) {
      // Batches differ a lot in their error; over the whole training set the trained model must fit better.
      double before = Json.getDouble(evalJson(model, train), "mse");
      double after = Json.getDouble(evalJson(merged, train), "mse");
      assertTrue(after < before, "the loss falls on a learnable target: mse " + before + " -> " + after);
    } else {
      assertTrue(mean(losses.subList(19, 24)) < mean(losses.subList(0, 5)),
          "the loss falls on a learnable target: " + losses);
    }

    assertArrayEquals(Files.readAllBytes(model.resolve("saved_model.pb")),
        Files.readAllBytes(merged.resolve("saved_model.pb")), "weights-only: the graph and signatures unchanged");
    assertTrue(Files.notExists(merged.resolve("assets.extra/vblora_labels.json")), "no file beside the model's own");

    Path predictions = out.resolve("valid_predictions.tsv");
    CliRun served = CliRun.of("eval", "--model", merged.toString(), "--data", valid.toString(),
        "--compare-predictions", predictions.toString(), "--json");
    assertEquals(0, served.status(), served.toString());
    Map<String, Object> report = Json.parseObject(served.out());
    assertEquals(16L, report.get("examples"));
    assertTrue(Json.getDouble(report, "max_abs_diff") <= 1e-5, "the merged model computes what was trained: "
        + served.out());
    assertTrue(report.containsKey(fixture.loss().equals("mse") ? "mse" : "accuracy"), served.out());

    CliRun withAdapter = CliRun.of("eval", "--model", model.toString(), "--adapter", out.resolve("adapter").toString(),
        "--data", valid.toString(), "--compare-predictions", predictions.toString(), "--json");
    assertEquals(0, withAdapter.status(), withAdapter.toString());
    assertTrue(withAdapter.err().contains("merging " + out.resolve("adapter") + " into " + model + " ..."),
        "eval says what it merges once the adapter was read: " + withAdapter.err());
    assertTrue(Json.getDouble(Json.parseObject(withAdapter.out()), "max_abs_diff") <= 1e-5, withAdapter.out());

    Path remerged = dir.resolve("remerged");
    CliRun merge = CliRun.of("merge", "--model", model.toString(), "--adapter", out.resolve("adapter").toString(),
        "--out", remerged.toString(), "--json");
    assertEquals(0, merge.status(), merge.toString());
    Map<String, Object> mergeJson = Json.parseObject(merge.out());
    assertEquals(remerged.toAbsolutePath().normalize().toString(), Json.getString(mergeJson, "merged"));
    assertEquals(Json.getObject(Json.parseObject(Files.readString(out.resolve("adapter/vblora_metadata.json"))),
        "target_variables").size(), Json.getLong(mergeJson, "kernels"), "one delta per adapted kernel");
    assertEquals(false, Json.getBoolean(mergeJson, "head"), "the model's own output: a weights-only merge");
    Map<String, Object> peftConfig = Json.parseObject(Files.readString(out.resolve("adapter/adapter_config.json")));
    assertEquals(null, peftConfig.get("modules_to_save"),
        "no head was trained, so PEFT is told of none (it would wrap an untrained classifier)");
    assertEquals(null, peftConfig.get("task_type"), "the model's own output is no PEFT sequence classifier");
    for (String file : List.of("saved_model.pb", "variables/variables.index", "variables/variables.data-00000-of-00001")) {
      assertArrayEquals(Files.readAllBytes(merged.resolve(file)), Files.readAllBytes(remerged.resolve(file)),
          file + " of train's merged/ vs vblora merge of its adapter");
    }
  }

  /**
   * Pooling makes a new head's input: asked for on a run that trains the model's own output, it would go unused
   * without a word, so the run is refused before it writes anything, naming both options.
   */
  @Test
  void poolingOnARunThatTrainsTheModelsOwnOutputIsRefused() throws Exception {
    Fixture mlp = fixtures().get(0);
    Path train = write(dir.resolve("pooling.jsonl"), mlp, 8, 1);
    Path out = dir.resolve("pooling-run");
    CliRun run = CliRun.of("train", "--model", SharedFolder.resolve("fixtures/tf2/" + mlp.name()).toString(),
        "--train", train.toString(), "--valid", train.toString(), "--targets", mlp.targets(), "--vector-length",
        Integer.toString(mlp.vectorLength()), "--num-vectors", "16", "--max-steps", "1", "--pooling", "mean",
        "--out", out.toString());
    assertEquals(1, run.status(), run.toString());
    assertTrue(run.err().contains("--pooling 'mean' applies to a new head on --features, but this run trains the"
        + " model's own output"), run.err());
    assertTrue(run.err().contains("leave --pooling out, or give --features for a new head"), run.err());
    assertTrue(Files.notExists(out), "nothing written");
  }

  /**
   * {@code n} examples of Gaussian features; the target is a fixed function of them that the model does not
   * compute yet: 1 + 0.5 * the mean of the first feature column (mse), or whether that mean is positive (binary).
   */
  private static Path write(Path file, Fixture fixture, int n, long seed) throws IOException {
    Random random = new Random(seed);
    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < n; i++) {
      int rows = fixture.shape().length == 1 ? 1 : fixture.shape()[0];
      int cols = fixture.shape()[fixture.shape().length - 1];
      List<Object> values = new ArrayList<>();
      double first = 0;
      for (int r = 0; r < rows; r++) {
        List<Object> row = new ArrayList<>();
        for (int c = 0; c < cols; c++) {
          double v = random.nextGaussian() * fixture.scale();
          row.add(v);
          if (c == 0) {
            first += v / rows;
          }
        }
        values.add(row);
      }
      Map<String, Object> example = new LinkedHashMap<>();
      example.put(fixture.input(), fixture.shape().length == 1 ? values.get(0) : values);
      example.put("label", fixture.loss().equals("mse") ? (Object) (1 + 0.5 * first) : (Object) (first > 0 ? 1L : 0L));
      lines.append(Json.toCompactJson(example)).append('\n');
    }
    Files.writeString(file, lines.toString(), StandardCharsets.UTF_8);
    return file;
  }

  private static Map<String, Object> evalJson(Path model, Path data) {
    CliRun run = CliRun.of("eval", "--model", model.toString(), "--data", data.toString(), "--json");
    assertEquals(0, run.status(), run.toString());
    return Json.parseObject(run.out());
  }

  private static List<Double> losses(Path log) throws IOException {
    List<Double> losses = new ArrayList<>();
    for (String line : Files.readAllLines(log)) {
      Map<String, Object> entry = Json.parseObject(line);
      if (entry.containsKey("loss")) {
        losses.add(Json.getDouble(entry, "loss"));
      }
    }
    return losses;
  }

  private static double mean(List<Double> values) {
    return values.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
  }
}
