package dev.finetune.vblora.training.cli;

import dev.finetune.vblora.data.error.Suggestions;
import dev.finetune.vblora.savedmodel.VbloraVersion;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.Model.UsageMessageSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Parses {@code vblora COMMAND [options]} with picocli (help, "did you mean", {@code @argfile}s), runs the
 * {@link Command} and turns failures into the exit codes of the command-line contract (docs/cli.md): 0 success,
 * 1 user error (message only, stack trace with --debug), 2 usage error (a malformed command line or a bad value).
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

  /** picocli's model of this command line, help renderers included (help, completion and docs read it). */
  public CommandLine commandLine() {
    CommandLine root = CommandSpecs.root(List.copyOf(commands.values()), VbloraVersion.current());
    root.setColorScheme(Help.defaultColorScheme(Help.Ansi.OFF));
    root.setOut(new PrintWriter(out, true, StandardCharsets.UTF_8));
    root.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
    root.getSubcommands().forEach((name, sub) -> {
      Map<String, CommandLine.IHelpSectionRenderer> sections = sub.getHelpSectionMap();
      sections.put(UsageMessageSpec.SECTION_KEY_OPTION_LIST, help -> CommandSpecs.optionList(commands.get(name),
          sub, help));
      sections.put(UsageMessageSpec.SECTION_KEY_FOOTER, help -> CommandSpecs.examples(commands.get(name)));
    });
    return root;
  }

  public int run(String... argv) {
    boolean json = ErrorDocument.requested(List.of(argv));
    CommandLine root = commandLine();
    if (argv.length == 0) {
      root.usage(err);
      return USAGE_ERROR;
    }
    if (argv[0].equals("help")) {
      CommandLine topic = argv.length > 1 ? root.getSubcommands().get(argv[1]) : null;
      if (argv.length > 1 && topic == null && !argv[1].startsWith("-") && !argv[1].startsWith("@")
          && !argv[1].equals("help")) {
        return unknownCommand(argv[1], json);
      }
      (topic != null ? topic : root).usage(out);
      return OK;
    }
    ParseResult result;
    try {
      result = root.parseArgs(argv);
    } catch (ParameterException e) {
      return usageError(root, e, List.of(argv), json);
    }
    if (result.isVersionHelpRequested()) {
      out.println(CommandSpecs.ROOT + " " + VbloraVersion.current());
      return OK;
    }
    if (result.isUsageHelpRequested()) {
      root.usage(out);
      return OK;
    }
    if (!result.hasSubcommand()) {
      err.println("vblora: which command? See the list below.");
      root.usage(err);
      return failed(json, "which command? Run 'vblora --help' for the commands.", USAGE_ERROR);
    }
    ParseResult parsed = result.subcommand();
    Command command = commands.get(parsed.commandSpec().name());
    if (parsed.isUsageHelpRequested()) {
      parsed.commandSpec().commandLine().usage(out);
      return OK;
    }
    boolean debug = result.hasMatchedOption("--" + CommandSpecs.DEBUG);
    try {
      ParsedArgs args = ParsedArgs.of(CommandSpecs.all(command), parsed);
      debug |= args.flag(CommandSpecs.DEBUG);
      if (args.declares("json")) {
        json = args.flag("json"); // parsed: an @file's --json counts too
      }
      if (command.takesRunConfig() && args.has(CommandSpecs.CONFIG)) {
        args = args.withFallback(RunConfigDefaults.read(args.path(CommandSpecs.CONFIG).orElseThrow()));
      }
      List<OptionSpec> missing = args.missingRequired();
      if (!missing.isEmpty()) {
        throw new UsageError("missing required option" + (missing.size() > 1 ? "s " : " ")
            + String.join(", ", missing.stream().map(OptionSpec::label).toList()));
      }
      return command.run(args, out, err);
    } catch (UsageError e) {
      err.println("vblora " + command.name() + ": " + e.getMessage());
      err.println("Run 'vblora " + command.name() + " --help' for the options.");
      return failed(json, e.getMessage(), USAGE_ERROR);
    } catch (UserError | IllegalArgumentException | IllegalStateException | java.io.IOException
        | java.io.UncheckedIOException e) {
      // Library code reports bad input with these; their messages are written for users.
      String message = LibraryErrors.describe(e);
      err.println("vblora " + command.name() + ": " + message);
      if (debug) {
        e.printStackTrace(err);
      }
      return failed(json, message, USER_ERROR);
    } catch (Exception e) {
      Optional<String> damaged = LibraryErrors.damagedVariables(e);
      if (damaged.isPresent()) {
        err.println("vblora " + command.name() + ": " + damaged.get());
        return failed(json, damaged.get(), USER_ERROR);
      }
      String message = "unexpected " + e.getClass().getSimpleName() + ": " + e.getMessage();
      err.println("vblora " + command.name() + ": " + message);
      if (debug) {
        e.printStackTrace(err);
      } else {
        err.println("Run again with --debug for the stack trace.");
      }
      return failed(json, message, USER_ERROR);
    }
  }

  /** The exit status of a failure; with --json its error document goes to stdout (ErrorDocument). */
  private int failed(boolean json, String message, int status) {
    if (json) {
      ErrorDocument.print(out, message, status);
    }
    return status;
  }

  /** A malformed command line or a bad value: what is wrong, what was probably meant, where the help is. */
  private int usageError(CommandLine root, ParameterException e, List<String> argv, boolean json) {
    CommandLine where = e.getCommandLine();
    boolean atRoot = where == root;
    Optional<String> argumentFile = missingArgumentFile(e);
    if (argumentFile.isPresent()) {
      // picocli reads @FILE as a file of options only when the file exists; otherwise it is an unmatched word.
      String message = "argument file '" + argumentFile.get() + "' does not exist (an argument that starts with @"
          + " names a file of options); check the path";
      err.println(CommandSpecs.ROOT + (atRoot ? "" : " " + where.getCommandName()) + ": " + message);
      return failed(json, message, USAGE_ERROR);
    }
    if (atRoot && e instanceof UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
      List<String> unmatched = u.getUnmatched();
      Optional<String> command = argv.stream().filter(commands::containsKey).findFirst();
      if (command.isPresent() && argv.get(0).startsWith("-")
          && optionsOf(root.getSubcommands().get(command.get())).containsAll(optionNames(unmatched))) {
        // The root has no options but --help and --version: a command's option went before the command
        String before = String.join(" ", argv.subList(0, argv.indexOf(command.get())));
        String message = "options go after the command: vblora " + command.get() + " " + before + " ...";
        err.println("vblora: " + message);
        return failed(json, message, USAGE_ERROR);
      }
      Optional<String> typed = unmatched.stream().filter(a -> !a.startsWith("-")).findFirst();
      if (typed.isPresent() && (typed.get().equals(unmatched.get(0))
          || !Suggestions.of(typed.get(), commands.keySet()).isEmpty())) {
        return unknownCommand(typed.get(), json);
      }
    }
    String name = atRoot ? CommandSpecs.ROOT : CommandSpecs.ROOT + " " + where.getCommandName();
    err.println(name + ": " + e.getMessage());
    if (e instanceof UnmatchedArgumentException u && !u.getUnmatched().isEmpty()
        && u.getUnmatched().get(0).startsWith("--")) {
      suggest(u.getUnmatched().get(0), new ArrayList<>(where.getCommandSpec().optionsMap().keySet()));
    }
    err.println("Run '" + name + " --help' for the " + (atRoot ? "commands." : "options."));
    return failed(json, e.getMessage(), USAGE_ERROR);
  }

  /** A command's option names as declared (a switch's --no- form is not among them). */
  private static Set<String> optionsOf(CommandLine command) {
    Set<String> names = new HashSet<>();
    command.getCommandSpec().options().forEach(o -> names.addAll(List.of(o.names())));
    return names;
  }

  /** The options among unmatched arguments, without an {@code =value}. */
  private static List<String> optionNames(List<String> unmatched) {
    return unmatched.stream().filter(a -> a.startsWith("-")).map(a -> a.split("=", 2)[0]).toList();
  }

  private int unknownCommand(String typed, boolean json) {
    err.println("vblora: unknown command '" + typed + "'");
    suggest(typed, new ArrayList<>(commands.keySet()));
    err.println("Run 'vblora --help' for the commands.");
    return failed(json, "unknown command '" + typed + "'", USAGE_ERROR);
  }

  private static Optional<String> missingArgumentFile(ParameterException e) {
    if (!(e instanceof UnmatchedArgumentException u)) {
      return Optional.empty();
    }
    return u.getUnmatched().stream().filter(a -> a.length() > 1 && a.startsWith("@"))
        .map(a -> a.substring(1)).filter(Cli::absent).findFirst();
  }

  private static boolean absent(String file) {
    try {
      return !Files.exists(Path.of(file));
    } catch (InvalidPathException e) {
      return true;
    }
  }

  private void suggest(String typed, List<String> names) {
    List<String> near = Suggestions.of(typed, names);
    if (!near.isEmpty()) {
      err.println("Did you mean " + String.join(" or ", near.subList(0, Math.min(3, near.size()))) + "?");
    }
  }
}
