package dev.finetune.vblora.training.cli;

import dev.finetune.vblora.savedmodel.VbloraVersion;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Dispatches {@code vblora COMMAND [options]} to a {@link Command} ({@code vblora --version} or {@code -V}
 * prints the version) and turns failures into the exit codes of
 * the command-line contract (docs/cli.md): 0 success, 1 user error (message only, stack trace with --debug),
 * 2 usage error.
 */
public final class Cli {
  public static final int OK = 0;
  public static final int USER_ERROR = 1;
  public static final int USAGE_ERROR = 2;

  private final Map<String, Command> commands = new LinkedHashMap<>();
  private final PrintStream out;
  private final PrintStream err;

  public Cli(List<Command> commands, PrintStream out, PrintStream err) {
    commands.forEach(c -> this.commands.put(c.name(), c));
    this.out = out;
    this.err = err;
  }

  public int run(String... argv) {
    List<String> args = new ArrayList<>(List.of(argv));
    boolean debug = args.remove("--debug");
    if (!args.isEmpty() && (args.get(0).equals("--version") || args.get(0).equals("-V"))) {
      out.println("vblora " + VbloraVersion.current());
      return OK;
    }
    if (args.isEmpty() || args.get(0).equals("--help") || args.get(0).equals("-h") || args.get(0).equals("help")) {
      printCommands(args.isEmpty() ? err : out);
      return args.isEmpty() ? USAGE_ERROR : OK;
    }
    Command command = commands.get(args.get(0));
    if (command == null) {
      err.println("vblora: unknown command '" + args.get(0) + "'");
      printCommands(err);
      return USAGE_ERROR;
    }
    List<String> rest = args.subList(1, args.size());
    if (rest.contains("--help") || rest.contains("-h")) {
      printHelp(command, out);
      return OK;
    }
    try {
      ParsedArgs parsed = ParsedArgs.parse(command.name(), rest, command.options());
      return command.run(parsed, out, err);
    } catch (UsageError e) {
      err.println("vblora " + command.name() + ": " + e.getMessage());
      err.println("Run 'vblora " + command.name() + " --help' for the options.");
      return USAGE_ERROR;
    } catch (UserError | IllegalArgumentException | IllegalStateException | java.io.IOException
        | java.io.UncheckedIOException e) {
      // Library code reports bad input with these; their messages are written for users.
      err.println("vblora " + command.name() + ": " + describe(e));
      if (debug) {
        e.printStackTrace(err);
      }
      return USER_ERROR;
    } catch (Exception e) {
      err.println("vblora " + command.name() + ": unexpected " + e.getClass().getSimpleName() + ": " + e.getMessage());
      if (debug) {
        e.printStackTrace(err);
      } else {
        err.println("Run again with --debug for the stack trace.");
      }
      return USER_ERROR;
    }
  }

  private static String describe(Exception e) {
    if (e instanceof dev.finetune.vblora.data.tokenizer.TokenizerException t) {
      return TokenizerFlags.describe(t);
    }
    if (e instanceof dev.finetune.vblora.data.error.VbLoraException v) {
      return SettingFlags.translate(v); // the library's errors, every one of them (IllegalArgumentExceptions)
    }
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    if (e instanceof java.nio.file.NoSuchFileException) {
      return "no such file: " + message;
    }
    if (e instanceof java.nio.file.AccessDeniedException) {
      return "permission denied: " + message;
    }
    return message;
  }

  private void printCommands(PrintStream to) {
    to.println("usage: vblora COMMAND [options]   (vblora COMMAND --help for its options; --debug for stack traces)");
    to.println("       vblora --version");
    to.println();
    for (Command c : commands.values()) {
      to.printf("  %-16s %s%n", c.name(), c.summary());
    }
  }

  private static void printHelp(Command command, PrintStream to) {
    to.println("usage: vblora " + command.name() + " [options]");
    to.println(command.summary());
    to.println();
    for (OptionSpec o : command.options()) {
      to.println(o.helpLine());
    }
    to.println(String.format("  %-32s %s", "--debug", "print stack traces of errors"));
  }
}
