package dev.finetune.vblora.training.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.training.testing.Bert;
import dev.finetune.vblora.training.testing.CliRun;
import dev.finetune.vblora.training.testing.DemoFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --vocab} and {@code --lower-case} on the command line: a model that ships no vocabulary, records no
 * casing or uses another tokenizer is refused before anything is written, and the message names the option that
 * fixes it. The model is BERT-base uncased's graph and variables (linked, not copied) with its assets changed.
 */
class TokenizerFlagsTest {
  @TempDir static Path dir;
  private static Path train;
  private static Path valid;

  @BeforeAll
  static void data() throws IOException {
    train = DemoFiles.train(dir.resolve("data"), 8);
    valid = DemoFiles.valid(dir.resolve("data"), 4);
  }

  /** The links into the shared BERT folder go before JUnit deletes the temporary folder (it warns about each). */
  @AfterAll
  static void unlink() throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path link : files.filter(Files::isSymbolicLink).toList()) {
        Files.delete(link);
      }
    }
  }

  /** BERT-base uncased without its assets/ folder. */
  private static Path bertWithoutAssets(String name) throws IOException {
    Path bert = Bert.folder().toAbsolutePath();
    Path model = Files.createDirectories(dir.resolve(name));
    Files.createSymbolicLink(model.resolve("saved_model.pb"), bert.resolve("saved_model.pb"));
    Files.createSymbolicLink(model.resolve("variables"), bert.resolve("variables"));
    Files.createDirectories(model.resolve("assets"));
    return model;
  }

  private static CliRun train(Path model, Path out, String... more) {
    String[] args = {"train", "--model", model.toString(), "--train", train.toString(), "--valid", valid.toString(),
        "--max-length", "16", "--batch-size", "4", "--max-steps", "1", "--out", out.toString()};
    String[] all = Arrays.copyOf(args, args.length + more.length);
    System.arraycopy(more, 0, all, args.length, more.length);
    return CliRun.of(all);
  }

  @Test
  void aModelWithoutVocabularyAsksForVocab() throws IOException {
    Path out = dir.resolve("out-no-vocab");
    CliRun run = train(bertWithoutAssets("no-vocab"), out);
    assertEquals(Cli.USER_ERROR, run.status(), run.toString());
    assertTrue(run.err().contains("ships no WordPiece vocabulary") && run.err().contains("(--vocab FILE)"),
        run.err());
    assertFalse(Files.exists(out), "nothing is written");
  }

  @Test
  void aModelThatRecordsNoCasingAsksForLowerCase() throws IOException {
    Path model = bertWithoutAssets("no-casing");
    Files.createSymbolicLink(model.resolve("assets/vocab.txt"), Bert.folder().toAbsolutePath()
        .resolve("assets/vocab.txt"));
    CliRun run = train(model, dir.resolve("out-no-casing"));
    assertEquals(Cli.USER_ERROR, run.status(), run.toString());
    assertTrue(run.err().contains("does not record whether its tokenizer lower-cases"), run.err());
    assertTrue(run.err().contains("which suggests true (uncased) (--lower-case true|false)"), run.err());
  }

  @Test
  void aSentencePieceModelIsRefusedNamingItsTokenizerAndTheWayOut() throws IOException {
    Path model = bertWithoutAssets("sentencepiece");
    Files.writeString(model.resolve("assets/spiece.model"), "not a real SentencePiece model");
    CliRun run = train(model, dir.resolve("out-spm"));
    assertEquals(Cli.USER_ERROR, run.status(), run.toString());
    assertTrue(run.err().contains("uses a SentencePiece tokenizer (assets/spiece.model), not WordPiece"), run.err());
    assertTrue(run.err().contains("(--vocab FILE)"), run.err());
  }

  @Test
  void lowerCaseTakesTrueOrFalse() throws IOException {
    CliRun run = train(bertWithoutAssets("bad-flag"), dir.resolve("out-bad-flag"), "--lower-case", "maybe");
    assertEquals(Cli.USAGE_ERROR, run.status(), run.toString());
    assertTrue(run.err().contains("--lower-case"), run.err());
  }

  @Test
  void trainAndEvalBothTakeTheTokenizerOptions() {
    for (String command : new String[] {"train", "eval"}) {
      String help = CliRun.of(command, "--help").out();
      assertTrue(help.contains("--vocab=FILE") && help.contains("--[no-]lower-case[=true|false]"), help);
    }
  }
}
