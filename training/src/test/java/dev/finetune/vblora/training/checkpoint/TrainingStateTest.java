package dev.finetune.vblora.training.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.data.json.JsonException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** state.json: snake_case keys, non-finite metrics as strings, and files of earlier versions still read. */
class TrainingStateTest {

  @Test
  void writesSnakeCaseKeysAndNonFiniteMetricsAsStrings() {
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put("accuracy", 0.75);
    metrics.put("mcc", Double.NaN);
    metrics.put("loss", Double.POSITIVE_INFINITY);
    metrics.put("margin", Double.NEGATIVE_INFINITY);
    TrainingState state = new TrainingState(40, 1, 3, 42, "rng", metrics, Map.of("rank", 4));
    Map<String, Object> json = Json.parseObject(state.toJson());
    assertEquals(List.of("step", "epoch", "position_in_epoch", "seed", "rng_state", "metrics", "config"),
        List.copyOf(json.keySet()));
    assertEquals(Map.of("accuracy", 0.75, "mcc", "NaN", "loss", "Infinity", "margin", "-Infinity"),
        json.get("metrics"));

    TrainingState read = TrainingState.fromJson(state.toJson());
    assertEquals(state.metrics().keySet(), read.metrics().keySet());
    assertTrue(Double.isNaN(read.metrics().get("mcc")));
    assertEquals(Double.POSITIVE_INFINITY, read.metrics().get("loss"));
    assertEquals(Double.NEGATIVE_INFINITY, read.metrics().get("margin"));
    assertEquals(Map.of("rank", 4L), read.config());
  }

  @Test
  void readsTheStateJsonThatJacksonWroteBefore() {
    // ObjectMapper with INDENT_OUTPUT and WRITE_NAN_AS_STRINGS on the record, as checkpoints saved so far hold
    String jackson = """
        {
          "step" : 40,
          "epoch" : 1,
          "position_in_epoch" : 3,
          "seed" : 42,
          "rng_state" : "rng-40",
          "metrics" : {
            "accuracy" : 0.75,
            "lr" : 1.0E-4,
            "mcc" : "NaN"
          },
          "config" : {
            "rank" : 4,
            "targets" : "bert-qv"
          }
        }""";
    TrainingState state = TrainingState.fromJson(jackson);
    assertEquals(40, state.step());
    assertEquals(1, state.epoch());
    assertEquals(3, state.positionInEpoch());
    assertEquals(42, state.seed());
    assertEquals("rng-40", state.rngState());
    assertEquals(0.75, state.metrics().get("accuracy"));
    assertEquals(1e-4, state.metrics().get("lr"));
    assertTrue(Double.isNaN(state.metrics().get("mcc")));
    assertEquals(Map.of("rank", 4L, "targets", "bert-qv"), state.config());
  }

  @Test
  void optionalPartsMayBeAbsent() {
    TrainingState state = TrainingState.fromJson(
        "{\"step\": 1, \"epoch\": 0, \"position_in_epoch\": 0, \"seed\": 7, \"rng_state\": null}");
    assertEquals("", state.rngState());
    assertEquals(Map.of(), state.metrics());
    assertEquals(Map.of(), state.config());
  }

  @Test
  void configIsADeepCopyThatJsonCanHold() {
    Map<String, Object> inner = new LinkedHashMap<>(Map.of("k", 1));
    Map<String, Object> config = new LinkedHashMap<>(Map.of("inner", inner));
    TrainingState state = new TrainingState(0, 0, 0, 0, null, null, config);
    inner.put("k", 2);
    assertEquals(Map.of("inner", Map.of("k", 1L)), state.config(), "later changes do not leak in");
    assertThrows(UnsupportedOperationException.class, () -> state.config().clear());
    assertThrows(IllegalArgumentException.class,
        () -> new TrainingState(0, 0, 0, 0, null, null, Map.of("lr", Double.NaN)));
  }

  @Test
  void aMistypedKeyIsNamed() {
    JsonException e = assertThrows(JsonException.class, () -> TrainingState.fromJson(
        "{\"step\": \"40\", \"epoch\": 0, \"position_in_epoch\": 0, \"seed\": 7}"));
    assertEquals("\"step\" must be an integer, got \"40\"", e.getMessage());
    e = assertThrows(JsonException.class, () -> TrainingState.fromJson(
        "{\"step\": 1, \"epoch\": 0, \"position_in_epoch\": 0, \"seed\": 7, \"metrics\": {\"f1\": \"high\"}}"));
    assertTrue(e.getMessage().contains("metric \"f1\""), e.getMessage());
  }

  @Test
  void aDamagedStateFileIsRefusedNamingTheFile(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve(CheckpointStore.STATE_FILE), "{\"step\": -1, \"epoch\": 0, "
        + "\"position_in_epoch\": 0, \"seed\": 7}");
    TensorFile.write(dir, Map.of());
    IOException e = assertThrows(IOException.class, () -> CheckpointStore.load(dir));
    assertTrue(e.getMessage().contains(dir.resolve("state.json").toString())
        && e.getMessage().contains("negative step"), e.getMessage());
  }
}
