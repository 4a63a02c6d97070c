package dev.finetune.vblora.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.data.io.OutputMarker;
import dev.finetune.vblora.training.listen.TrainingListener;
import dev.finetune.vblora.training.listen.TrainingListeners;
import dev.finetune.vblora.training.listen.TrainingSummary;
import dev.finetune.vblora.training.testing.Bert;
import dev.finetune.vblora.training.testing.CliRun;
import dev.finetune.vblora.training.testing.DemoFiles;
import dev.finetune.vblora.training.testing.FolderChecksum;
import dev.finetune.vblora.training.testing.OutputFolders;
import dev.finetune.vblora.training.testing.TrainCommandLine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code vblora train} does to what is already in --out. It checks every input before it touches the
 * folder, replaces only a run it marked and only once the new run has finished, and resumes only a run: a refused
 * or failed command leaves the folder, its siblings and the input files exactly as they were (one checksum over
 * all of them, before and after).
 */
class RunFolderTest {
  @TempDir
  static Path dir;
  private static Path train;
  private static Path valid;

  @BeforeAll
  static void data() throws Exception {
    train = DemoFiles.train(dir.resolve("data"), 8);
    valid = DemoFiles.valid(dir.resolve("data"), 4);
  }

  /** One optimizer step of 4 sentences of 16 tokens, into {@code out}. */
  private static List<String> train(Path out, String... more) {
    List<String> args = TrainCommandLine.onBert(train, valid, 16, out, "--max-steps", "1");
    args.addAll(List.of(more));
    return args;
  }

  private static List<String> replacing(List<String> args, String option, String value) {
    List<String> changed = new ArrayList<>(args);
    changed.set(changed.indexOf(option) + 1, value);
    return changed;
  }

  /**
   * Runs {@code args} and asserts exit 1 with a message naming each of {@code mentioned}, no stack trace, and
   * not one byte changed in {@code untouched} (the --out folder's parent, so that siblings count too) or the data.
   */
  private static CliRun assertRefusedLeavingAllAsItWas(List<String> args, Path untouched, String... mentioned) {
    String before = FolderChecksum.of(untouched, train, valid);
    CliRun run = CliRun.of(args.toArray(String[]::new));
    assertEquals(1, run.status(), run.toString());
    for (String text : mentioned) {
      assertTrue(run.err().contains(text), "stderr should mention '" + text + "':\n" + run.err());
    }
    assertFalse(run.err().contains("\tat "), "no stack trace without --debug:\n" + run.err());
    assertEquals(before, FolderChecksum.of(untouched, train, valid), "changed by a refused run:\n" + run);
    return run;
  }

  @Test
  void overwriteWithAnEmptyTrainFileLeavesTheOldRunByteForByte() throws Exception {
    Path out = OutputFolders.markedRun(dir.resolve("empty-train/run"));
    Path empty = Files.writeString(dir.resolve("empty.tsv"), "");
    assertRefusedLeavingAllAsItWas(replacing(train(out, "--overwrite"), "--train", empty.toString()),
        out.getParent(), empty.toString());
  }

  @Test
  void overwriteWithAMisspelledTrainFileLeavesTheOldRunByteForByte() throws Exception {
    Path out = OutputFolders.markedRun(dir.resolve("misspelled/run"));
    Path missing = dir.resolve("data/trian.tsv");
    assertRefusedLeavingAllAsItWas(replacing(train(out, "--overwrite"), "--train", missing.toString()),
        out.getParent(), missing.toString());
  }

  @Test
  void overwriteWithAVectorLengthThatDoesNotDivideLeavesTheOldRunByteForByte() throws Exception {
    Path out = OutputFolders.markedRun(dir.resolve("vector-length/run"));
    assertRefusedLeavingAllAsItWas(train(out, "--overwrite", "--vector-length", "100"), out.getParent(),
        "--vector-length 100");
  }

  @Test
  void overwriteWithATruncatedModelLeavesTheOldRunByteForByte() throws Exception {
    Path out = OutputFolders.markedRun(dir.resolve("truncated/run"));
    Path model = Files.createDirectories(dir.resolve("truncated-model"));
    byte[] graph = Files.readAllBytes(Bert.folder().resolve("saved_model.pb"));
    Files.write(model.resolve("saved_model.pb"), Arrays.copyOf(graph, graph.length / 3));
    assertRefusedLeavingAllAsItWas(replacing(train(out, "--overwrite"), "--model", model.toString()),
        out.getParent());
  }

  @Test
  void overwriteRefusesAnOutFolderThatHoldsTheTrainFile() throws Exception {
    Path out = OutputFolders.markedRun(dir.resolve("holds-train/run"));
    Path inside = Files.copy(train, out.resolve("train.tsv"));
    assertRefusedLeavingAllAsItWas(replacing(train(out, "--overwrite"), "--train", inside.toString()),
        out.getParent(), "contains the input --train " + inside, "move the input elsewhere");
  }

  @Test
  void overwriteRefusesAHuggingFaceModelFolder() throws Exception {
    Path out = OutputFolders.huggingFaceModel(dir.resolve("hf-overwrite/model"));
    assertRefusedLeavingAllAsItWas(train(out, "--overwrite"), out.getParent(), "does not replace " + out
        .toAbsolutePath(), OutputMarker.FILE, "choose another output folder");
  }

  @Test
  void overwriteRefusesARunOfAVersionThatDidNotMarkItsRunsAndSaysWhatToDo() throws Exception {
    Path out = OutputFolders.unmarkedRun(dir.resolve("unmarked/run"));
    assertRefusedLeavingAllAsItWas(train(out, "--overwrite"), out.getParent(), out.toAbsolutePath().toString(),
        "older vblora", "delete this one yourself");
  }

  /** Without a flag, a folder vblora did not make is refused without offering resume or overwrite, which would be. */
  @Test
  void aFolderThatIsNotARunIsRefusedWithoutOfferingFlagsThatWouldBeRefusedToo() throws Exception {
    Path out = OutputFolders.huggingFaceModel(dir.resolve("hf-plain/model"));
    CliRun run = assertRefusedLeavingAllAsItWas(train(out), out.getParent(), out + " exists and holds files that"
        + " are not a vblora run", OutputMarker.FILE, "choose another --out folder");
    assertFalse(run.err().contains("--resume") || run.err().contains("--overwrite"), run.err());
  }

  @Test
  void resumeOnAFolderThatIsNotARunWritesNothingIntoIt() throws Exception {
    Path out = OutputFolders.huggingFaceModel(dir.resolve("hf-resume/model"));
    assertRefusedLeavingAllAsItWas(train(out, "--resume"), out.getParent(), out + " is not a vblora run folder");
  }

  /** A run folder as a run leaves it that stopped after its first log line, before any checkpoint. */
  private static Path stoppedBeforeItsFirstCheckpoint(Path out) throws Exception {
    Files.createDirectories(out);
    OutputMarker.write(out, OutputMarker.Kind.RUN);
    Files.writeString(out.resolve("config.json"), "{\"model\": \"bert-base-uncased\"}\n");
    Files.writeString(out.resolve("log.jsonl"), "{\"step\": 1, \"loss\": 0.69}\n");
    return out;
  }

  @Test
  void resumeOfARunThatStoppedBeforeItsFirstCheckpointWritesNothingIntoIt() throws Exception {
    Path out = stoppedBeforeItsFirstCheckpoint(dir.resolve("no-checkpoint/run"));
    assertRefusedLeavingAllAsItWas(train(out, "--resume"), out.getParent(), "no checkpoint in " + out,
        "--overwrite");
  }

  /** Run again without a flag, such a run is offered overwrite only: resume would be refused (above). */
  @Test
  void aRunThatStoppedBeforeItsFirstCheckpointIsOfferedOverwriteNotResume() throws Exception {
    Path out = stoppedBeforeItsFirstCheckpoint(dir.resolve("no-checkpoint-again/run"));
    CliRun run = assertRefusedLeavingAllAsItWas(train(out), out.getParent(), out + " holds a run that stopped before"
        + " its first checkpoint", "set --overwrite to start it again");
    assertFalse(run.err().contains("--resume"), run.err());
  }

  @Test
  void resumeWithOtherSettingsThanTheCheckpointsWritesNothingIntoTheRun() throws Exception {
    Path out = dir.resolve("other-settings/run");
    Files.createDirectories(out);
    OutputMarker.write(out, OutputMarker.Kind.RUN);
    Files.writeString(out.resolve("config.json"), "{\"model\": \"bert-base-uncased\"}\n");
    OutputFolders.smallCheckpoint(out, 2);
    assertRefusedLeavingAllAsItWas(train(out, "--resume"), out.getParent(), "was made with other settings",
        out.resolve("checkpoints/step-2").toString());
  }

  /** A run of one step on its own 8 + 4 demo sentences under {@code name}, finished: what the tests below resume. */
  private record OneStepRun(Path train, Path valid, Path out) {
    static OneStepRun finishedIn(String name) throws IOException {
      Path data = dir.resolve(name + "/data");
      OneStepRun run = new OneStepRun(DemoFiles.train(data, 8), DemoFiles.valid(data, 4), dir.resolve(name + "/run"));
      CliRun first = CliRun.of(run.args().toArray(String[]::new));
      assertEquals(0, first.status(), first.toString());
      return run;
    }

    List<String> args(String... more) {
      List<String> args = new ArrayList<>(TrainCommandLine.onBert(train, valid, 16, out, "--max-steps", "1"));
      args.addAll(List.of(more));
      return args;
    }
  }

  /**
   * A finished run (its metrics.json is written last) has nothing left to train: resume is refused, and the run's
   * outputs, log, curves and TensorBoard events stay byte for byte as they were.
   */
  @Test
  void resumeOfAFinishedRunIsRefusedAndLeavesItsOutputsAsTheyAre() throws Exception {
    OneStepRun run = OneStepRun.finishedIn("finished");
    assertRefusedLeavingAllAsItWas(run.args("--resume"), run.out().getParent(), "the run in " + run.out()
        + " has finished", "nothing is left to train", "--overwrite");
  }

  /**
   * The head's rows are the classes a checkpoint was trained on: data whose labels now name other classes (the
   * files edited in place) is refused at resume, naming both class lists, and the run is left as it was.
   */
  @Test
  void resumeWithDataOfOtherClassesThanTheCheckpointsIsRefused() throws Exception {
    OneStepRun run = OneStepRun.finishedIn("other-classes");
    for (Path file : List.of(run.train(), run.valid())) {
      Files.writeString(file, Files.readString(file).replace("\t0\n", "\tneg\n").replace("\t1\n", "\tpos\n"));
    }
    assertRefusedLeavingAllAsItWas(run.args("--resume"), run.out().getParent(), "was trained on the classes [0, 1]"
        + " (in id order), but the data now gives [neg, pos]", "resume with the original run's data");
  }

  /**
   * The old run stays in place, whole, until the new one has finished (the last listener call comes after the
   * exports), then the new run takes its place and nothing of the old one or of the staging folder is left.
   */
  @Test
  void overwriteSwapsInTheNewRunOnlyOnceItHasFinished() throws Exception {
    Path out = OutputFolders.markedRun(dir.resolve("swap/run"));
    Files.writeString(out.resolve("only-in-the-old-run.txt"), "old");
    String old = FolderChecksum.of(out);
    List<String> seenAtTheEnd = new ArrayList<>();
    TrainingListener watcher = new TrainingListener() {
      @Override
      public void onEnd(TrainingSummary summary) {
        seenAtTheEnd.add(FolderChecksum.of(out));
      }
    };
    TrainConfig config = TrainConfig.builder().model("bert-base-uncased").train(train).valid(valid)
        .textColumn("sentence").labelColumn("label").maxLength(16).batchSize(4).maxSteps(1).numVectors(90)
        .out(out).overwrite(true).build();
    // This run also keeps only the loss guard of the default listeners (as a service that wants no log files
    // would), so it shows as well that a caller's choice of defaults replaces the file logs.
    TrainingResult result = new Trainer(config, List.of(watcher))
        .withDefaultListeners(TrainingListeners.lossGuard()).run();

    assertEquals(List.of(old), seenAtTheEnd, "the old run is untouched while the new one trains and exports");
    assertEquals(out, result.out());
    assertEquals(out.resolve("merged"), result.merged());
    assertFalse(Files.exists(out.resolve("only-in-the-old-run.txt")));
    for (String file : List.of("config.json", "metrics.json", "adapter/adapter_model.safetensors",
        "merged/saved_model.pb", "checkpoints/step-1/state.json")) {
      assertTrue(Files.isRegularFile(out.resolve(file)), file);
    }
    for (String log : List.of("log.jsonl", "tensorboard", "curves.png")) {
      assertFalse(Files.exists(out.resolve(log)), log + " is a default listener's file, and the caller dropped it");
    }
    assertEquals(out.toString(), Json.getString(Json.parseObject(Files.readString(out.resolve("config.json"))),
        "out"), "config.json records --out, not the staging folder");
    assertEquals(OutputMarker.Kind.RUN, OutputMarker.read(out).orElseThrow());
    try (Stream<Path> siblings = Files.list(out.getParent())) {
      assertEquals(List.of("run"), siblings.map(p -> p.getFileName().toString()).toList());
    }
  }

  @Test
  void aRunThatFailsMidwayWithOverwriteLeavesTheOldRunByteForByte() throws Exception {
    Path out = OutputFolders.markedRun(dir.resolve("fails/run"));
    // Adam's first update moves every head weight by the learning rate: 1e38 overflows the next logits.
    CliRun run = assertRefusedLeavingAllAsItWas(replacing(train(out, "--overwrite", "--lr-head", "1e38",
        "--warmup-ratio", "0", "--eval-every", "1"), "--max-steps", "3"), out.getParent(), "at step 2",
        out + " still holds the previous run, unchanged");
    assertFalse(run.err().contains("resume from it"), "no advice to resume a discarded run:\n" + run.err());
  }
}
