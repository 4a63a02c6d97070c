package dev.finetune.vblora.training.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ctrl-C on {@code vblora train} exits 130; the notice printed on the way out says where the run stands and
 * gives the exact command that continues it.
 */
class InterruptNoticeTest {
  /** One train command line's options, as ParsedArgs hands them back. */
  private static final List<String> OPTIONS = CommandSpecs.parse(new TrainCommand(), List.of("--model",
      "bert-base-uncased", "--train", "my data.tsv", "--out", "run", "--max-steps", "40", "--overwrite")).toArgs();

  @Test
  void theNoticeNamesTheNewestCompleteCheckpointAndTheResumeCommand(@TempDir Path out) throws Exception {
    for (String step : List.of("step-20", "step-30")) {
      Files.createDirectories(out.resolve("checkpoints").resolve(step));
      Files.writeString(out.resolve("checkpoints").resolve(step).resolve("state.json"), "{}");
    }
    Files.createDirectories(out.resolve("checkpoints/step-40")); // being written: no state.json yet
    assertEquals("vblora train: interrupted; the last checkpoint is " + out.resolve("checkpoints/step-30")
        + " (step 30); continue the run from it with:\n"
        + "  vblora train --model bert-base-uncased --train 'my data.tsv' --out run --max-steps 40 --resume",
        InterruptNotice.message(out, OPTIONS));
  }

  @Test
  void beforeTheFirstCheckpointTheNoticeSaysThereIsNothingToResume(@TempDir Path out) {
    assertEquals("vblora train: interrupted before the first checkpoint, so there is nothing to resume; start the"
        + " run again with:\n"
        + "  vblora train --model bert-base-uncased --train 'my data.tsv' --out run --max-steps 40 --overwrite",
        InterruptNotice.message(out, OPTIONS));
  }

  /** An --overwrite run trains aside: the checkpoints in --out are the previous run's, which is kept as it was. */
  @Test
  void aRunThatWasToReplaceAnotherIsDiscardedAndTheNoticeOffersNoResume(@TempDir Path out) throws Exception {
    Files.createDirectories(out.resolve("checkpoints/step-2"));
    Files.writeString(out.resolve("checkpoints/step-2/state.json"), "{}");
    assertEquals("vblora train: interrupted; the new run is discarded (with --overwrite it replaces " + out + " only"
        + " once it has finished), and " + out + " still holds the previous run, unchanged; start the new run again"
        + " with:\n"
        + "  vblora train --model bert-base-uncased --train 'my data.tsv' --out run --max-steps 40 --overwrite",
        InterruptNotice.discarded(out, OPTIONS));
  }
}
