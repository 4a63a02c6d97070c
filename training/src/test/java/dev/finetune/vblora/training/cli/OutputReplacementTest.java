package dev.finetune.vblora.training.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.ops.testing.SharedFolder;
import dev.finetune.vblora.savedmodel.adapter.AdapterFolder;
import dev.finetune.vblora.data.io.OutputMarker;
import dev.finetune.vblora.savedmodel.adapter.VbLoraAdapter;
import dev.finetune.vblora.training.testing.CliRun;
import dev.finetune.vblora.training.testing.RandomVbLoraAdapter;
import dev.finetune.vblora.training.testing.FolderChecksum;
import dev.finetune.vblora.training.testing.OutputFolders;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code merge --overwrite} and {@code export-adapter --overwrite} replace only an output of their own kind that
 * vblora wrote, and never an input. A refused command leaves its --out folder and every input byte for byte.
 * The model is a small Keras MLP (1.9 MB), copied so that a command that wrongly wrote over it harms no other test.
 */
class OutputReplacementTest {
  @TempDir
  static Path dir;
  private static Path model;
  private static Path adapter;

  @BeforeAll
  static void modelAndAdapter() throws Exception {
    model = copy(SharedFolder.resolve("fixtures/tf2/keras_dense_mlp"), dir.resolve("keras-mlp"));
    adapter = dir.resolve("adapter");
    AdapterFolder.write(denseAdapter(), adapter, false);
  }

  /** A VB-LoRA adapter (h=4, b=256, r=1) on the MLP's 256 x 256 kernel dense_1, random values. */
  private static VbLoraAdapter denseAdapter() {
    return RandomVbLoraAdapter.of("dense_1/kernel", 1, 1, new Random(3), null);
  }

  private static Path copy(Path from, Path to) throws Exception {
    try (Stream<Path> walk = Files.walk(from)) {
      for (Path source : walk.toList()) {
        Path target = to.resolve(from.relativize(source).toString());
        if (Files.isDirectory(source)) {
          Files.createDirectories(target);
        } else {
          Files.copy(source, target);
        }
      }
    }
    return to;
  }

  private static CliRun merge(Path out) {
    return CliRun.of("merge", "--model", model.toString(), "--adapter", adapter.toString(), "--out", out.toString(),
        "--overwrite");
  }

  /** Runs {@code args}: exit 1, each of {@code mentioned} on stderr, not one byte of {@code untouched} changed. */
  private static void assertRefusedLeavingAllAsItWas(String[] args, Path[] untouched, String... mentioned) {
    String before = FolderChecksum.of(untouched);
    CliRun run = CliRun.of(args);
    assertEquals(1, run.status(), run.toString());
    for (String text : mentioned) {
      assertTrue(run.err().contains(text), "stderr should mention '" + text + "':\n" + run.err());
    }
    assertFalse(run.err().contains("\tat "), "no stack trace without --debug:\n" + run.err());
    assertEquals(before, FolderChecksum.of(untouched), "changed by a refused command:\n" + run);
  }

  @Test
  void mergeOverwriteReplacesAMergedModelItWrote() throws Exception {
    Path out = dir.resolve("merged-twice");
    CliRun first = merge(out);
    assertEquals(0, first.status(), first.toString());
    assertEquals(OutputMarker.Kind.MERGED_MODEL, OutputMarker.read(out).orElseThrow());
    CliRun second = merge(out);
    assertEquals(0, second.status(), second.toString());
    assertTrue(Files.isRegularFile(out.resolve("saved_model.pb")));
  }

  /**
   * A run's merged/ is its adapter/ merged into its model, and its metrics describe that model: --overwrite may
   * merge it again, but not replace it with another adapter's merge, which would leave the run contradicting
   * itself.
   */
  @Test
  void mergeOverwriteReplacesARunsMergedModelOnlyWithTheRunsOwnAdapter() throws Exception {
    Path run = Files.createDirectories(dir.resolve("run-merged/run"));
    OutputMarker.write(run, OutputMarker.Kind.RUN);
    Files.writeString(run.resolve("config.json"), Json.toIndentedJson(Map.of("model", model.toString())));
    AdapterFolder.write(denseAdapter(), run.resolve("adapter"), false);
    Path merged = run.resolve("merged");
    String[] ownAdapter = {"merge", "--model", model.toString(), "--adapter", run.resolve("adapter").toString(),
        "--out", merged.toString(), "--overwrite"};
    CliRun first = CliRun.of(ownAdapter);
    assertEquals(0, first.status(), first.toString());

    assertRefusedLeavingAllAsItWas(new String[] {"merge", "--model", model.toString(), "--adapter",
        adapter.toString(), "--out", merged.toString(), "--overwrite"}, new Path[] {run.getParent(), model, adapter},
        "--out " + merged + " is the merged model of the training run " + run + "; replacing it with a merge of"
            + " adapter " + adapter + " (not the run's " + run.resolve("adapter") + ")",
        "choose another --out folder");

    CliRun again = CliRun.of(ownAdapter);
    assertEquals(0, again.status(), "the run's own adapter into its model: " + again);
  }

  @Test
  void mergeWithOutEqualToTheModelLeavesTheModelByteForByte() {
    assertRefusedLeavingAllAsItWas(new String[] {"merge", "--model", model.toString(), "--adapter",
        adapter.toString(), "--out", model.toString(), "--overwrite"}, new Path[] {model, adapter},
        "--out " + model + " is the input --model", "choose another --out");
  }

  @Test
  void mergeOverwriteLeavesAFolderVbloraDidNotWriteByteForByte() throws Exception {
    Path users = OutputFolders.huggingFaceModel(dir.resolve("merge-hf/model"));
    assertRefusedLeavingAllAsItWas(new String[] {"merge", "--model", model.toString(), "--adapter",
        adapter.toString(), "--out", users.toString(), "--overwrite"},
        new Path[] {users.getParent(), model, adapter}, "does not replace " + users, OutputMarker.FILE);
  }

  @Test
  void mergeOverwriteLeavesARunFolderByteForByte() throws Exception {
    Path run = OutputFolders.markedRun(dir.resolve("merge-run/run"));
    assertRefusedLeavingAllAsItWas(new String[] {"merge", "--model", model.toString(), "--adapter",
        adapter.toString(), "--out", run.toString(), "--overwrite"},
        new Path[] {run.getParent(), model, adapter}, "holds a vblora training run, not a merged model");
  }

  @Test
  void exportAdapterWithOutEqualToTheCheckpointLeavesTheCheckpointByteForByte() throws Exception {
    Path checkpoint = OutputFolders.smallCheckpoint(dir.resolve("export-self"), 4).dir();
    assertRefusedLeavingAllAsItWas(new String[] {"export-adapter", "--checkpoint", checkpoint.toString(), "--out",
        checkpoint.toString(), "--overwrite"}, new Path[] {checkpoint.getParent()},
        "--out " + checkpoint + " is the input --checkpoint");
  }

  @Test
  void exportAdapterOverwriteLeavesAFolderVbloraDidNotWriteByteForByte() throws Exception {
    Path checkpoint = OutputFolders.smallCheckpoint(dir.resolve("export-hf"), 4).dir();
    Path users = OutputFolders.huggingFaceModel(dir.resolve("export-hf/model"));
    assertRefusedLeavingAllAsItWas(new String[] {"export-adapter", "--checkpoint", checkpoint.toString(), "--out",
        users.toString(), "--overwrite"}, new Path[] {users.getParent(), checkpoint},
        "does not replace " + users, OutputMarker.FILE);
  }

  @Test
  void exportAdapterOverwriteReplacesAnAdapterItWrote() throws Exception {
    Path checkpoint = OutputFolders.smallCheckpoint(dir.resolve("export-twice"), 4).dir();
    Path out = dir.resolve("export-twice/adapter");
    for (int i = 0; i < 2; i++) {
      CliRun run = CliRun.of("export-adapter", "--checkpoint", checkpoint.toString(), "--out", out.toString(),
          "--overwrite", "--json");
      assertEquals(0, run.status(), run.toString());
      Map<String, Object> json = Json.parseObject(run.out());
      assertEquals(out.toAbsolutePath().normalize().toString(), Json.getString(json, "adapter"));
      assertEquals(4, Json.getLong(json, "step"));
    }
    assertEquals(OutputMarker.Kind.ADAPTER, OutputMarker.read(out).orElseThrow());
    assertTrue(Files.isRegularFile(out.resolve(AdapterFolder.WEIGHTS_FILE)));
  }
}
