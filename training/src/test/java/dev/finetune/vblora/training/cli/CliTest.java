package dev.finetune.vblora.training.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.data.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The exit-code and error-message contract of docs/cli.md, and what picocli adds, on a stand-in command. */
class CliTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @TempDir
  Path dir;

  private final Command echo = new Command() {
    @Override public String name() {
      return "echo";
    }

    @Override public String summary() {
      return "prints its --text";
    }

    @Override public List<OptionSpec> options() {
      return List.of(OptionSpec.required("text", "TEXT", "what to print"),
          OptionSpec.optional("times", "N", "how often", "1").typed(ValueType.INTEGER).in("Repetition"),
          OptionSpec.optional("case", "upper|lower", "how to print it", null).typed(ValueType.oneOf("upper", "lower")),
          OptionSpec.flag("fail-user", "fail like a missing file"),
          OptionSpec.flag("crash", "fail with a bug"),
          OptionSpec.flag("json", "print JSON"));
    }

    @Override public List<String> examples() {
      return List.of("vblora echo --text hi --times 2");
    }

    @Override public boolean takesRunConfig() {
      return true;
    }

    @Override public int run(ParsedArgs args, PrintStream o, PrintStream e) throws Exception {
      if (args.flag("fail-user")) {
        throw new NoSuchFileException("/nowhere/data.tsv");
      }
      if (args.flag("crash")) {
        throw new ArithmeticException("boom");
      }
      for (int i = 0; i < args.integerOrDefault("times"); i++) {
        String text = args.string("text").orElseThrow();
        o.println(args.string("case").orElse("").equals("upper") ? text.toUpperCase(java.util.Locale.ROOT) : text);
      }
      return Cli.OK;
    }
  };

  private int run(String... argv) {
    out.reset();
    err.reset();
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
  void helpListsOptionsWithDefaultsInSectionsWithExamplesAndExitsZero() {
    assertEquals(0, run("echo", "--help"));
    assertTrue(stdout().startsWith("Usage: vblora echo --text=TEXT [options]"), stdout());
    assertTrue(stdout().contains("--times=N"), stdout());
    assertTrue(stdout().contains("(default 1)"), stdout());
    assertTrue(stdout().indexOf("Options:") < stdout().indexOf("--text=TEXT  ")
        && stdout().indexOf("Repetition:") < stdout().indexOf("--times=N"), stdout());
    assertTrue(stdout().contains("General:") && stdout().contains("--[no-]debug"), stdout());
    assertTrue(stdout().contains("Examples:\n  vblora echo --text hi --times 2\n"), stdout());
    String help = stdout();
    assertEquals(0, run("help", "echo"));
    assertEquals(help, stdout(), "vblora help COMMAND is COMMAND --help");
  }

  @Test
  void theCommandListGoesToStdoutWithHelpAndToStderrWithNothing() {
    assertEquals(0, run("--help"));
    assertTrue(stdout().contains("  echo ") && stdout().contains("prints its --text"), stdout());
    assertEquals(2, run());
    assertTrue(stderr().contains("  echo "), stderr());
    assertEquals("", stdout());
  }

  @Test
  void usageErrorsExitTwoAndNameTheOption() {
    assertEquals(2, run("echo"));
    assertTrue(stderr().contains("missing required option --text=TEXT"), stderr());
    assertEquals(2, run("echo", "--text", "a", "--colour", "red"));
    assertTrue(stderr().contains("Unknown options: '--colour', 'red'"), stderr());
    assertEquals(2, run("echo", "--text", "a", "--times", "many"));
    assertTrue(stderr().contains("Invalid value for option '--times': expected a whole number, got 'many'"),
        stderr());
    assertTrue(stderr().contains("Run 'vblora echo --help' for the options."), stderr());
    assertEquals(2, run("nope"));
    assertTrue(stderr().contains("unknown command 'nope'"), stderr());
    assertEquals("", stdout(), "nothing ran");
  }

  @Test
  void aValueOutsideTheChoicesExitsTwoListingThem() {
    assertEquals(2, run("echo", "--text", "a", "--case", "title"));
    assertTrue(stderr().contains("Invalid value for option '--case': expected one of upper, lower, got 'title'"),
        stderr());
    assertEquals(0, run("echo", "--text", "a", "--case", "upper"));
    assertEquals("A\n", stdout());
  }

  @Test
  void aMistypedOptionOrCommandGetsADidYouMean() {
    assertEquals(2, run("echo", "--text", "a", "--tiems", "2"));
    assertTrue(stderr().contains("Did you mean --times?"), stderr());
    assertEquals(2, run("ecoh", "--text", "a"));
    assertTrue(stderr().contains("unknown command 'ecoh'") && stderr().contains("Did you mean echo?"), stderr());
    assertEquals(2, run("echo", "--text", "a", "--zzzzzzzz"));
    assertFalse(stderr().contains("Did you mean"), "nothing near: no guess\n" + stderr());
  }

  /** A help topic that is no command, or a command's option before the command, used to hide the real mistake. */
  @Test
  void anUnknownHelpTopicOrAnOptionBeforeTheCommandSaysSo() {
    assertEquals(2, run("help", "ecoh"));
    assertTrue(stderr().contains("unknown command 'ecoh'") && stderr().contains("Did you mean echo?"), stderr());
    assertEquals("", stdout(), "no help printed as if it had worked");
    assertEquals(2, run("--json", "ecoh", "--text", "a"));
    assertTrue(stderr().contains("unknown command 'ecoh'") && stderr().contains("Did you mean echo?"), stderr());
    assertEquals(2, run("--times", "2", "echo", "--text", "a"));
    assertTrue(stderr().contains("options go after the command: vblora echo --times 2 ..."), stderr());
    assertEquals("", stdout(), "nothing ran");
    // A misspelt root option before a command is that, not a command's option out of place.
    assertEquals(2, run("--verison", "echo", "--text", "a"));
    assertFalse(stderr().contains("options go after"), stderr());
    assertTrue(stderr().contains("--verison"), stderr());
    assertEquals(0, run("help", "help"), "help is a topic of help");
    assertTrue(stdout().contains("  echo "), stdout());
  }

  @Test
  void everyBooleanIsASwitchWithANegationAndAnOptionalValue() {
    for (List<String> off : List.of(List.of("--no-fail-user"), List.of("--fail-user=false"),
        List.of("--fail-user", "false"), List.of("--fail-user", "off"), List.of("--fail-user=no"))) {
      List<String> args = new java.util.ArrayList<>(List.of("echo", "--text", "a"));
      args.addAll(off);
      assertEquals(0, run(args.toArray(String[]::new)), off + ": " + stderr());
    }
    for (List<String> on : List.of(List.of("--fail-user"), List.of("--fail-user=true"), List.of("--fail-user", "on"),
        List.of("--fail-user", "yes"))) {
      List<String> args = new java.util.ArrayList<>(List.of("echo", "--text", "a"));
      args.addAll(on);
      assertEquals(1, run(args.toArray(String[]::new)), on + ": " + stderr());
    }
    assertEquals(2, run("echo", "--text", "a", "--fail-user", "maybe"));
    assertTrue(stderr().contains("--fail-user: expected true or false (or on/off), got 'maybe'"), stderr());
  }

  @Test
  void optionsMayComeFromAnArgumentFile() throws Exception {
    Path file = Files.writeString(dir.resolve("echo.args"), "--text\n\"hi there\"\n--times 2\n");
    assertEquals(0, run("echo", "@" + file));
    assertEquals("hi there\nhi there\n", stdout());
  }

  @Test
  void aMissingArgumentFileIsNamedAsAMissingFile() {
    String missing = dir.resolve("missing.args").toString();
    for (List<String> argv : List.of(List.of("echo", "@" + missing), List.of("@" + missing))) {
      assertEquals(2, run(argv.toArray(String[]::new)), argv.toString());
      assertTrue(stderr().contains("argument file '" + missing + "' does not exist"), stderr());
      assertFalse(stderr().contains("Unmatched") || stderr().contains("unknown command"), stderr());
    }
  }

  @Test
  void aRunConfigSuppliesWhatTheCommandLineLeavesOutAndTheCommandLineWins() throws Exception {
    Path config = Files.writeString(dir.resolve("config.json"),
        "{\"tool_version\": \"0.0.1\", \"text\": \"from the run\", \"times\": 2.0, \"case\": null, \"fail_user\": false,"
            + " \"overwrite\": true}");
    assertEquals(0, run("echo", "--config", config.toString()));
    assertEquals("from the run\nfrom the run\n", stdout());
    assertEquals(0, run("echo", "--config", config.toString(), "--times", "1", "--case", "upper"));
    assertEquals("FROM THE RUN\n", stdout());

    Path bad = Files.writeString(dir.resolve("bad.json"), "{\"text\": \"x\", \"times\": \"twice\"}");
    assertEquals(2, run("echo", "--config", bad.toString()));
    assertTrue(stderr().contains("--times") && stderr().contains("'twice'"), stderr());
    assertEquals(1, run("echo", "--config", dir.resolve("missing.json").toString()));
    assertTrue(stderr().contains("cannot read --config"), stderr());
  }

  @Test
  void userErrorsExitOneWithoutStackTraceUnlessDebug() {
    assertEquals(1, run("echo", "--text", "a", "--fail-user"));
    assertTrue(stderr().contains("no such file: /nowhere/data.tsv"), stderr());
    assertFalse(stderr().contains("\tat "), stderr());
    assertEquals(1, run("echo", "--text", "a", "--fail-user", "--debug"));
    assertTrue(stderr().contains("\tat "), stderr());
    assertEquals(1, run("--debug", "echo", "--text", "a", "--fail-user"));
    assertTrue(stderr().contains("\tat "), "--debug before the command too:\n" + stderr());
  }

  /** A script that parses stdout gets one document whatever the exit status; people still read stderr. */
  @Test
  void withJsonAFailurePrintsOneErrorDocumentOnStdoutAndTheMessageOnStderr() {
    assertEquals(1, run("echo", "--text", "a", "--fail-user", "--json"));
    assertEquals(Map.of("error", Map.of("message", "no such file: /nowhere/data.tsv", "exit_code", 1L)),
        Json.parseObject(stdout()));
    assertTrue(stderr().contains("vblora echo: no such file: /nowhere/data.tsv"), stderr());

    assertEquals(2, run("echo", "--json", "--bogus"));
    Map<String, Object> usage = Json.getObject(Json.parseObject(stdout()), "error");
    assertEquals(2L, usage.get("exit_code"));
    assertTrue(Json.getString(usage, "message").contains("'--bogus'"), stdout());
    assertTrue(stderr().contains("'--bogus'"), stderr());

    assertEquals(2, run("echo", "--json=true"));
    assertTrue(Json.getString(Json.getObject(Json.parseObject(stdout()), "error"), "message")
        .contains("missing required option --text"), stdout());

    assertEquals(1, run("echo", "--text", "a", "--crash", "--json"));
    assertEquals(1L, Json.getObject(Json.parseObject(stdout()), "error").get("exit_code"));
  }

  @Test
  void aJsonOptionFromAnArgumentFileAlsoGetsTheErrorDocument() throws Exception {
    Path file = Files.writeString(dir.resolve("fail.args"), "--text a --fail-user --json\n");
    assertEquals(1, run("echo", "@" + file));
    assertEquals(1L, Json.getObject(Json.parseObject(stdout()), "error").get("exit_code"));
  }

  @Test
  void withoutJsonOrWithJsonOffAFailurePrintsNothingOnStdout() {
    assertEquals(1, run("echo", "--text", "a", "--fail-user"));
    assertEquals("", stdout());
    assertEquals(1, run("echo", "--text", "a", "--fail-user", "--no-json"));
    assertEquals("", stdout());
    assertEquals(1, run("echo", "--text", "a", "--fail-user", "--json", "false"));
    assertEquals("", stdout());
  }

  @Test
  void bugsAreReportedAsUnexpectedWithAHintToDebug() {
    assertEquals(1, run("echo", "--text", "a", "--crash"));
    assertTrue(stderr().contains("unexpected ArithmeticException: boom"), stderr());
    assertTrue(stderr().contains("--debug"), stderr());
  }
}
