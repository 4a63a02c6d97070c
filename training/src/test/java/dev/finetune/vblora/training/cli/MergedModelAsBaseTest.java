package dev.finetune.vblora.training.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.ops.testing.SharedFolder;
import dev.finetune.vblora.savedmodel.adapter.AdapterFolder;
import dev.finetune.vblora.savedmodel.adapter.ToolMetadata;
import dev.finetune.vblora.savedmodel.adapter.VbLoraAdapter;
import dev.finetune.vblora.training.testing.CliRun;
import dev.finetune.vblora.training.testing.RandomVbLoraAdapter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A merged model given as the base of {@code merge} or {@code eval --adapter}: the adapter it already holds is
 * refused (its update would count twice, silently), and another adapter is stacked on top with a warning that
 * names the adapter beneath. Training on a merged model says that the new adapter belongs to it, and merging that
 * adapter into it warns of nothing. The model is the small Keras MLP; the adapters are VB-LoRA adapters on its 256 x 256
 * kernel dense_1 that record the MLP as their source model, as train's adapter/ does.
 */
class MergedModelAsBaseTest {
  @TempDir
  static Path dir;
  private static Path model;
  private static Path adapter;
  private static Path merged;
  private static Path data;

  @BeforeAll
  static void mergedModel() throws Exception {
    model = SharedFolder.resolve("fixtures/tf2/keras_dense_mlp");
    adapter = dir.resolve("run/adapter");
    AdapterFolder.write(denseAdapter(3), adapter, false);
    merged = dir.resolve("run/merged");
    CliRun merge = CliRun.of("merge", "--model", model.toString(), "--adapter", adapter.toString(), "--out",
        merged.toString());
    assertEquals(0, merge.status(), merge.toString());
    String features = IntStream.range(0, 72).mapToObj(i -> "0.1").collect(Collectors.joining(", "));
    data = Files.writeString(dir.resolve("valid.jsonl"), "{\"dense_input\": [" + features + "], \"label\": 1.0}\n");
  }

  /** A VB-LoRA adapter (h=4, b=256, r=1) on dense_1/kernel with random values drawn from {@code seed}. */
  private static VbLoraAdapter denseAdapter(long seed) {
    return RandomVbLoraAdapter.of("dense_1/kernel", 1, 1, new Random(seed),
        ToolMetadata.of(model.toString(), Map.of("dense_1/kernel", "dense_1/kernel"), null, List.of()));
  }

  private static void assertRefusedAsMergedTwice(CliRun run) {
    assertEquals(1, run.status(), run.toString());
    assertTrue(run.err().contains(merged + " already has this adapter merged in"), run.err());
    assertTrue(run.err().contains("merging " + adapter + " again would apply its update twice: merge it into its"
        + " base model, " + model + " instead"), run.err());
    assertFalse(run.err().contains("\tat "), "no stack trace without --debug:\n" + run.err());
  }

  @Test
  void mergingTheAdapterIntoItsOwnMergedModelIsRefused() {
    Path out = dir.resolve("twice");
    assertRefusedAsMergedTwice(CliRun.of("merge", "--model", merged.toString(), "--adapter", adapter.toString(),
        "--out", out.toString()));
    assertTrue(Files.notExists(out), "nothing is written");
  }

  @Test
  void evaluatingAMergedModelWithTheAdapterItHoldsIsRefused() {
    assertRefusedAsMergedTwice(CliRun.of("eval", "--model", merged.toString(), "--adapter", adapter.toString(),
        "--data", data.toString()));
  }

  @Test
  void anotherAdapterIsStackedOnAMergedModelWithAWarningNamingTheOneBeneath() throws Exception {
    Path other = dir.resolve("other-adapter");
    AdapterFolder.write(denseAdapter(5), other, false);
    Path out = dir.resolve("stacked");
    CliRun run = CliRun.of("merge", "--model", merged.toString(), "--adapter", other.toString(), "--out",
        out.toString());
    assertEquals(0, run.status(), run.toString());
    assertTrue(run.err().contains("vblora merge: warning: " + merged + " is a merged model that already holds"
        + " adapter sha256:"), run.err());
    assertTrue(run.err().contains("(1 kernel, trained on " + model + "); the new adapter's update is added on top"
        + " of it (stacked). To serve the new adapter alone, merge it into its base model, " + model), run.err());
    assertTrue(Files.isRegularFile(out.resolve("saved_model.pb")));
  }

  /**
   * Training on a merged model is a way to build on an adapter; the new adapter then belongs to that merged model,
   * which the run says, naming the adapter beneath.
   */
  @Test
  void trainingOnAMergedModelSaysTheNewAdapterBelongsToIt() {
    CliRun run = trainOneStep(merged, dir.resolve("on-merged"));
    assertEquals(0, run.status(), run.toString());
    assertTrue(run.err().contains("vblora train: warning: " + merged + " is a merged model that already holds"
        + " adapter sha256:"), run.err());
    assertTrue(run.err().contains("(1 kernel, trained on " + model + "); the adapter trained here learns on top of"
        + " it, so adapter/ is to be merged into " + merged + " itself"), run.err());

    // Merged where it belongs, the stacking is what the adapter was made for: no warning.
    CliRun merge = CliRun.of("merge", "--model", merged.toString(), "--adapter",
        dir.resolve("on-merged/adapter").toString(), "--out", dir.resolve("on-merged-served").toString());
    assertEquals(0, merge.status(), merge.toString());
    assertFalse(merge.err().contains("warning"), merge.err());
  }

  /**
   * A damaged record of merged adapters would stop the run's own merged/ export at the end: the run is refused
   * before it trains or writes anything.
   */
  @Test
  void trainingOnAMergedModelWhoseRecordIsDamagedIsRefusedUpFront() throws Exception {
    Path damaged = dir.resolve("damaged-merged");
    try (var files = Files.walk(merged)) {
      for (Path source : files.toList()) {
        Path target = damaged.resolve(merged.relativize(source).toString());
        if (Files.isDirectory(source)) {
          Files.createDirectories(target);
        } else {
          Files.copy(source, target);
        }
      }
    }
    Files.writeString(damaged.resolve("assets.extra/vblora_merged.json"), "{\"adapters\": [");
    Path out = dir.resolve("on-damaged");
    CliRun run = trainOneStep(damaged, out);
    assertEquals(1, run.status(), run.toString());
    assertTrue(run.err().contains("vblora_merged.json is damaged") && run.err().contains("merge again from the"
        + " base model"), run.err());
    assertTrue(Files.notExists(out), "nothing written");
  }

  @Test
  void trainingOnTheUntouchedModelHasNoSuchWarning() {
    CliRun run = trainOneStep(model, dir.resolve("on-base"));
    assertEquals(0, run.status(), run.toString());
    assertFalse(run.err().contains("warning"), run.err());
  }

  /** One step of VB-LoRA on dense_2 of {@code base}. */
  private static CliRun trainOneStep(Path base, Path out) {
    return CliRun.of("train", "--model", base.toString(), "--train", data.toString(), "--valid", data.toString(),
        "--targets", "dense_2/kernel", "--vector-length", "8", "--num-vectors", "16", "--rank", "1", "--max-steps",
        "1", "--batch-size", "1", "--warmup-ratio", "0", "--out", out.toString());
  }
}
