package dev.finetune.vblora.training.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.training.metrics.BestCheckpointRule;
import dev.finetune.vblora.training.variables.HostTensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointStoreTest {

  private static TrainingState state(long step, Map<String, Double> metrics) {
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("rank", 4);
    config.put("targets", "bert-qv");
    config.put("dropout", 0.1f);
    config.put("layers", List.of(0, 11));
    return new TrainingState(step, 1, 3, 42, "rng-" + step, metrics, config);
  }

  @Test
  void saveThenLoadGivesIdenticalTensorsAndState(@TempDir Path out) throws IOException {
    CheckpointStore store = CheckpointStore.open(out, 3, BestCheckpointRule.of("accuracy"));
    Map<String, HostTensor> tensors = TensorFileTest.sampleTensors();
    TrainingState saved = state(40, Map.of("accuracy", 0.75, "mcc", Double.NaN));
    CheckpointRef ref = store.save(tensors, saved);
    assertEquals(out.resolve("checkpoints/step-40"), ref.dir());

    Checkpoint loaded = store.load(store.latest().orElseThrow());
    for (String name : tensors.keySet()) {
      assertArrayEquals(tensors.get(name).bytes(), loaded.tensors().get(name).bytes(), name);
    }
    TrainingState state = loaded.state();
    assertEquals(40, state.step());
    assertEquals(1, state.epoch());
    assertEquals(3, state.positionInEpoch());
    assertEquals(42, state.seed());
    assertEquals("rng-40", state.rngState());
    assertEquals(0.75, state.metrics().get("accuracy"));
    assertTrue(Double.isNaN(state.metrics().get("mcc")), "NaN survives the JSON round trip");
    assertEquals(saved.config(), state.config());
    assertEquals(4L, state.config().get("rank"), "integers come back as Longs");
    String json = Files.readString(ref.dir().resolve("state.json"));
    assertTrue(json.contains("\"position_in_epoch\"") && json.contains("\"rng_state\""), json);
  }

  @Test
  void keepsTheNewestAndTheBest(@TempDir Path out) throws IOException {
    CheckpointStore store = CheckpointStore.open(out, 2, BestCheckpointRule.of("accuracy"));
    double[] accuracy = {0.5, 0.9, 0.6, 0.7, 0.65, 0.55};
    for (int i = 0; i < accuracy.length; i++) {
      store.save(Map.of("w", HostTensor.ofFloats(new long[] {1}, i)), state(i + 1, Map.of("accuracy", accuracy[i])));
    }
    assertEquals(List.of(2L, 5L, 6L), store.list().stream().map(CheckpointRef::step).toList());
    assertEquals(6, store.latest().orElseThrow().step());
    assertEquals(2, store.best().orElseThrow().step());
    assertEquals(1f, store.load(store.best().orElseThrow()).tensors().get("w").toFloats()[0]);
    try (Stream<Path> entries = Files.list(store.root())) {
      assertEquals(3, entries.count(), "no temporary folders left behind");
    }
  }

  @Test
  void lowerIsBetterRuleKeepsTheLowestError(@TempDir Path out) throws IOException {
    CheckpointStore store = CheckpointStore.open(out, 1, BestCheckpointRule.of("mse"));
    double[] mse = {0.4, 0.2, 0.3};
    for (int i = 0; i < mse.length; i++) {
      store.save(Map.of(), state(10 * (i + 1), Map.of("mse", mse[i])));
    }
    assertEquals(List.of(20L, 30L), store.list().stream().map(CheckpointRef::step).toList());
    assertEquals(20, store.best().orElseThrow().step());
  }

  @Test
  void withoutARuleOnlyTheNewestAreKept(@TempDir Path out) throws IOException {
    CheckpointStore store = CheckpointStore.open(out, 1, null);
    store.save(Map.of(), state(1, Map.of("accuracy", 0.99)));
    store.save(Map.of(), state(2, Map.of("accuracy", 0.1)));
    assertEquals(List.of(2L), store.list().stream().map(CheckpointRef::step).toList());
    assertTrue(store.best().isEmpty());
  }

  @Test
  void savingTheSameStepAgainReplacesIt(@TempDir Path out) throws IOException {
    CheckpointStore store = CheckpointStore.open(out, 3, null);
    store.save(Map.of("w", HostTensor.ofFloats(new long[] {1}, 1f)), state(5, Map.of()));
    store.save(Map.of("w", HostTensor.ofFloats(new long[] {1}, 2f)), state(5, Map.of()));
    assertEquals(1, store.list().size());
    assertEquals(2f, store.load(store.latest().orElseThrow()).tensors().get("w").toFloats()[0]);
  }

  @Test
  void anInterruptedSaveIsInvisibleAndCleanedUpOnOpen(@TempDir Path out) throws IOException {
    CheckpointStore store = CheckpointStore.open(out, 3, null);
    store.save(Map.of("w", HostTensor.ofFloats(new long[] {1}, 1f)), state(5, Map.of()));
    // what a crash in the middle of saving step 6 leaves: a hidden folder with partial files
    Path partial = Files.createDirectories(store.root().resolve(".tmp-step-6-123"));
    Files.write(partial.resolve("tensors.bin"), new byte[] {1, 2});
    assertEquals(5, store.latest().orElseThrow().step(), "the partial save is not a checkpoint");

    CheckpointStore reopened = CheckpointStore.open(out, 3, null);
    assertFalse(Files.exists(partial), "leftovers are removed when the store is opened");
    assertEquals(List.of(5L), reopened.list().stream().map(CheckpointRef::step).toList());
  }

  @Test
  void loadingAFolderThatIsNotACheckpointSaysSo(@TempDir Path out) {
    IOException e = assertThrows(IOException.class, () -> CheckpointStore.load(out));
    assertTrue(e.getMessage().contains("not a checkpoint"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> CheckpointStore.open(out, 0, null));
  }

  @Test
  void aDamagedNewestCheckpointNamesTheIntactOlderOneAndFollowingTheAdviceResumesFromIt(@TempDir Path out)
      throws IOException {
    CheckpointStore store = CheckpointStore.open(out, 3, null);
    store.save(TensorFileTest.sampleTensors(), state(10, Map.of()));
    store.save(TensorFileTest.sampleTensors(), state(20, Map.of()));
    CheckpointRef newest = store.save(TensorFileTest.sampleTensors(), state(30, Map.of()));
    Path data = newest.dir().resolve(TensorFile.DATA_FILE);
    Files.write(data, java.util.Arrays.copyOf(Files.readAllBytes(data), 7)); // cut short, as by a full disk

    IOException e = assertThrows(IOException.class, () -> store.loadForResume(newest));
    Path moved = out.resolve("damaged-step-30");
    assertTrue(e.getMessage().startsWith("the newest checkpoint " + newest.dir() + " is damaged ("), e.getMessage());
    assertTrue(e.getMessage().contains("the older checkpoint " + out.resolve("checkpoints/step-20") + " (step 20)"
        + " is intact"), e.getMessage());
    assertTrue(e.getMessage().contains("(mv " + newest.dir() + " " + moved + ")"), e.getMessage());
    assertTrue(Files.isDirectory(newest.dir()), "the damaged checkpoint is left where it was");

    Files.move(newest.dir(), moved);
    CheckpointRef latest = store.latest().orElseThrow();
    assertEquals(20, latest.step());
    assertEquals(20, store.loadForResume(latest).state().step());
  }

  @Test
  void whenNoOlderCheckpointIsIntactTheAdviceIsAFreshRun(@TempDir Path out) throws IOException {
    CheckpointStore store = CheckpointStore.open(out, 3, null);
    CheckpointRef only = store.save(TensorFileTest.sampleTensors(), state(10, Map.of()));
    Files.writeString(only.dir().resolve(TensorFile.INDEX_FILE), "{not json");

    IOException e = assertThrows(IOException.class, () -> store.loadForResume(only));
    assertTrue(e.getMessage().contains("no older checkpoint is intact: start the run afresh"), e.getMessage());
  }
}
