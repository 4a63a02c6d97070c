package dev.finetune.vblora.training.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static dev.finetune.vblora.training.testing.CliRun.assertUserError;

import dev.finetune.vblora.ops.testing.SharedFolder;
import dev.finetune.vblora.training.PredictionTable;
import dev.finetune.vblora.training.testing.CliRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code eval --predictions-out FILE}: an existing file is replaced only with --overwrite and only when it is a
 * prediction table (the predictions once replaced a training file), and a refused eval leaves it byte for byte. The model is the small Keras MLP, scored
 * through its own regression output on a few JSONL examples; it is only read.
 */
class PredictionsOutTest {
  @TempDir
  static Path dir;
  private static Path model;
  private static Path data;

  @BeforeAll
  static void modelAndData() throws Exception {
    model = SharedFolder.resolve("fixtures/tf2/keras_dense_mlp");
    Random random = new Random(5);
    StringBuilder jsonl = new StringBuilder();
    for (int example = 0; example < 4; example++) {
      List<String> features = new ArrayList<>();
      for (int i = 0; i < 72; i++) {
        features.add(String.format(Locale.ROOT, "%.3f", random.nextDouble()));
      }
      jsonl.append("{\"dense_input\": [").append(String.join(", ", features)).append("], \"label\": 1.5}\n");
    }
    data = Files.writeString(dir.resolve("data.jsonl"), jsonl);
  }

  private static CliRun eval(Path predictions, String... more) {
    List<String> args = new ArrayList<>(List.of("eval", "--model", model.toString(), "--data", data.toString(),
        "--predictions-out", predictions.toString()));
    args.addAll(List.of(more));
    return CliRun.of(args.toArray(String[]::new));
  }

  @Test
  void aFileOfTheUsersIsRefusedEvenWithOverwriteAndLeftAsItWas() throws Exception {
    Path mine = Files.writeString(dir.resolve("train.tsv"), "sentence\tlabel\nA fine day.\t1\n");
    for (CliRun run : List.of(eval(mine), eval(mine, "--overwrite"))) {
      assertUserError(run, "--predictions-out " + mine + " exists and is not a prediction table vblora wrote, so it"
          + " is not replaced; choose another file");
      assertEquals("sentence\tlabel\nA fine day.\t1\n", Files.readString(mine));
    }
  }

  @Test
  void anEarlierPredictionTableIsRefusedWithoutOverwrite() throws Exception {
    Path earlier = Files.writeString(dir.resolve("earlier.tsv"), "example\tprediction\n0\t1.5\n");
    assertUserError(eval(earlier), "--predictions-out " + earlier + " exists; set --overwrite to replace it");
    assertEquals("example\tprediction\n0\t1.5\n", Files.readString(earlier));
  }

  @Test
  void overwriteReplacesAnEarlierPredictionTable() throws Exception {
    Path earlier = Files.writeString(dir.resolve("replace-me.tsv"), "example\tprediction\n0\t9.5\n");
    CliRun run = eval(earlier, "--overwrite");
    assertEquals(0, run.status(), run.toString());
    assertEquals(4, PredictionTable.read(earlier).examples());
    try (var files = Files.list(dir)) {
      assertFalse(files.anyMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary file is left");
    }
  }

  @Test
  void aNewFileIsWrittenWithoutOverwrite() throws Exception {
    Path fresh = dir.resolve("new/predictions.tsv");
    CliRun run = eval(fresh);
    assertEquals(0, run.status(), run.toString());
    assertTrue(run.out().startsWith("examples   4\n"), run.out());
    assertFalse(run.out().contains("timings") || run.out().contains("{"), "the timings go to stderr: " + run.out());
    assertEquals(4, PredictionTable.read(fresh).examples());
  }

  @Test
  void aFileThatCannotBeWrittenIsRefusedNamingTheOption() throws Exception {
    Path file = Files.writeString(dir.resolve("a-file"), "mine");
    assertUserError(eval(file.resolve("predictions.tsv")), "--predictions-out " + file.resolve("predictions.tsv")
        + " cannot be written there: " + file + " is a file, not a folder; choose another --predictions-out");
  }
}
