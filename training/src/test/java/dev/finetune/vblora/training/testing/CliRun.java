package dev.finetune.vblora.training.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.training.cli.Cli;
import dev.finetune.vblora.training.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** One {@code vblora ...} command line run in-process, with its exit status and captured output. */
public record CliRun(int status, String out, String err) {

  public static CliRun of(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      status = new Cli(Main.commands(), o, e).run(args);
    }
    return new CliRun(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** Asserts a user error: exit 1, stderr naming each of {@code mentioned}, no stack trace without --debug. */
  public static void assertUserError(CliRun run, String... mentioned) {
    assertEquals(1, run.status(), run.toString());
    for (String text : mentioned) {
      assertTrue(run.err().contains(text), "stderr should mention '" + text + "':\n" + run.err());
    }
    assertFalse(run.err().contains("\tat "), "no stack trace without --debug:\n" + run.err());
  }

  @Override
  public String toString() {
    return "exit " + status + "\nstdout:\n" + out + "\nstderr:\n" + err;
  }
}
