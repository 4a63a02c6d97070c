package dev.finetune.vblora.training.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The exit-code and error-message contract of docs/cli.md, on a stand-in command. */
class CliTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private final Command echo = new Command() {
    @Override public String name() {
      return "echo";
    }

    @Override public String summary() {
      return "prints its --text";
    }

    @Override public List<OptionSpec> options() {
      return List.of(OptionSpec.required("text", "TEXT", "what to print"),
          OptionSpec.optional("times", "N", "how often", "1"),
          OptionSpec.flag("fail-user", "fail like a missing file"),
          OptionSpec.flag("crash", "fail with a bug"));
    }

    @Override public int run(ParsedArgs args, PrintStream o, PrintStream e) throws Exception {
      if (args.flag("fail-user")) {
        throw new NoSuchFileException("/nowhere/data.tsv");
      }
      if (args.flag("crash")) {
        throw new ArithmeticException("boom");
      }
      for (int i = 0; i < args.integerOrDefault("times"); i++) {
        o.println(args.string("text").orElseThrow());
      }
      return Cli.OK;
    }
  };

  private int run(String... argv) {
    Cli cli = new Cli(List.of(echo), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return cli.run(argv);
  }

  private String stdout() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String stderr() {
    return err.toString(StandardCharsets.UTF_8);
  }
  @Test
  void versionPrintsTheProjectVersion() {
    for (String flag : List.of("--version", "-V")) {
      out.reset();
      assertEquals(Cli.OK, run(flag));
      assertEquals("vblora " + System.getProperty("vblora.projectVersion") + System.lineSeparator(), stdout());
    }
  }


  @Test
  void successRunsTheCommandWithItsOptions() {
    assertEquals(0, run("echo", "--text", "hi", "--times=2"));
    assertEquals("hi\nhi\n", stdout());
  }

  @Test
  void helpListsOptionsWithDefaultsAndExitsZero() {
    assertEquals(0, run("echo", "--help"));
    assertTrue(stdout().contains("--times N"), stdout());
    assertTrue(stdout().contains("(default 1)"), stdout());
  }

  @Test
  void usageErrorsExitTwoAndNameTheOption() {
    assertEquals(2, run("echo"));
    assertTrue(stderr().contains("needs --text"), stderr());
    assertEquals(2, run("echo", "--text", "a", "--colour", "red"));
    assertTrue(stderr().contains("unknown option --colour"), stderr());
    assertEquals(2, run("echo", "--text", "a", "--times", "many"));
    assertTrue(stderr().contains("--times expects a whole number"), stderr());
    assertEquals(2, run("nope"));
    assertTrue(stderr().contains("unknown command 'nope'"), stderr());
  }

  @Test
  void userErrorsExitOneWithoutStackTraceUnlessDebug() {
    assertEquals(1, run("echo", "--text", "a", "--fail-user"));
    assertTrue(stderr().contains("no such file: /nowhere/data.tsv"), stderr());
    assertFalse(stderr().contains("\tat "), stderr());
    err.reset();
    assertEquals(1, run("echo", "--text", "a", "--fail-user", "--debug"));
    assertTrue(stderr().contains("\tat "), stderr());
  }

  @Test
  void bugsAreReportedAsUnexpectedWithAHintToDebug() {
    assertEquals(1, run("echo", "--text", "a", "--crash"));
    assertTrue(stderr().contains("unexpected ArithmeticException: boom"), stderr());
    assertTrue(stderr().contains("--debug"), stderr());
  }
}
