package dev.finetune.vblora.training.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.training.testing.CliRun;
import dev.finetune.vblora.training.testing.TrainCommandLine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A new head on a sequence output, mean-pooled over the real tokens (BERT-base's sequence_output, a handful of steps
 * at 16 tokens): the merged model gains the pooling and the head, serves what the training graph computed, and
 * vblora merge of the adapter (which records where the head reads) writes the same model.
 */
class SequenceOutputHeadTest {
  @TempDir
  Path dir;

  @Test
  void aMeanPooledHeadOnTheSequenceOutputIsServedAsTrainedAndMergedAlike() throws Exception {
    List<String> lines = new ArrayList<>(List.of("sentence\tlabel"));
    for (int i = 0; i < 8; i++) {
      lines.add((i % 2 == 0 ? "a good film " : "a bad film ") + i + "\t" + (i % 2));
    }
    Path data = Files.write(dir.resolve("d.tsv"), lines);
    Path out = dir.resolve("run");
    List<String> args = TrainCommandLine.onBert(data, data, 16, out, "--max-steps", "2", "--features",
        "sequence_output", "--pooling", "mean");
    CliRun run = CliRun.of(args.toArray(String[]::new));
    assertEquals(0, run.status(), run.toString());
    CliRun eval = CliRun.of("eval", "--model", out.resolve("merged").toString(), "--data", data.toString(),
        "--max-length", "16", "--compare-predictions", out.resolve("valid_predictions.tsv").toString(), "--json");
    assertEquals(0, eval.status(), eval.toString());
    assertTrue(Json.getDouble(Json.parseObject(eval.out()), "max_abs_diff") <= 1e-4, eval.out());
    Path remerged = dir.resolve("remerged");
    CliRun merge = CliRun.of("merge", "--model", "bert-base-uncased", "--adapter", out.resolve("adapter").toString(),
        "--out", remerged.toString());
    assertEquals(0, merge.status(), merge.toString());
    for (String file : List.of("saved_model.pb", "variables/variables.index", "assets.extra/vblora_labels.json")) {
      assertArrayEquals(Files.readAllBytes(out.resolve("merged").resolve(file)),
          Files.readAllBytes(remerged.resolve(file)), file + " of train's merged/ vs vblora merge");
    }
  }
}
