package dev.finetune.vblora.training.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Stack;
import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.UsageMessageSpec;

/**
 * picocli's model of the {@code vblora} command line, built from the {@link Command}s and their {@link
 * OptionSpec}s: the root command with --help and --version, one sub-command per command, help in sections (one
 * per option group, then examples) wrapped to the terminal's width.
 */
final class CommandSpecs {
  static final String ROOT = "vblora";
  static final String DEBUG = "debug";
  static final String CONFIG = "config";

  private CommandSpecs() {}

  /** The root {@code vblora} command line with every command as a sub-command. */
  static CommandLine root(List<Command> commands, String version) {
    CommandSpec root = CommandSpec.create().name(ROOT).version(ROOT + " " + version);
    root.addOption(CommandLine.Model.OptionSpec.builder("-h", "--help").usageHelp(true)
        .description("show the commands and exit").build());
    root.addOption(CommandLine.Model.OptionSpec.builder("-V", "--version").versionHelp(true)
        .description("print the version and exit").build());
    root.addOption(debugOption());
    root.usageMessage().customSynopsis("vblora COMMAND [options]   (vblora COMMAND --help for its options)%n"
            + "       vblora --version%n")
        .description("Fine-tunes TensorFlow SavedModels with VB-LoRA (or LoRA) and merges the adapters for serving.")
        .commandListHeading("%nCommands:%n")
        .footerHeading("%nOptions may come from a file: vblora train @run.args (whitespace-separated, quotes"
            + " around values with spaces, # comments). Completion: source <(vblora completion).%n")
        .autoWidth(true);
    CommandLine line = new CommandLine(root);
    for (Command command : commands) {
      line.addSubcommand(command.name(), new CommandLine(of(command)));
    }
    return line;
  }

  /** Parses {@code args} (the options after the command's name) as {@code command} alone, e.g. in a test. */
  static ParsedArgs parse(Command command, List<String> args) {
    return ParsedArgs.of(all(command), new CommandLine(of(command)).parseArgs(args.toArray(String[]::new)));
  }

  /** One command's picocli spec. */
  static CommandSpec of(Command command) {
    CommandSpec spec = CommandSpec.create().name(command.name());
    for (OptionSpec option : all(command)) {
      spec.addOption(picocli(option));
    }
    spec.addOption(CommandLine.Model.OptionSpec.builder("-h", "--help").usageHelp(true)
        .description("show this help and exit").build());
    UsageMessageSpec usage = spec.usageMessage();
    usage.customSynopsis(synopsis(command)).description(escape(command.summary())).autoWidth(true)
        .optionListHeading("");
    return spec;
  }

  /** The examples, one command line a line and never wrapped, so that each can be copied as it stands. */
  static String examples(Command command) {
    if (command.examples().isEmpty()) {
      return "";
    }
    StringBuilder text = new StringBuilder(String.format("%nExamples:%n"));
    command.examples().forEach(e -> text.append("  ").append(e).append(System.lineSeparator()));
    return text.toString();
  }

  /** The command's options and the ones every command has (--config where it applies, --debug). */
  static List<OptionSpec> all(Command command) {
    List<OptionSpec> options = new ArrayList<>(command.options());
    if (command.takesRunConfig()) {
      options.add(OptionSpec.optional(CONFIG, "FILE", "a run's config.json: its settings are the defaults, "
          + "options given here win (re-run a run with a few settings changed)", null).typed(ValueType.PATH)
          .in("General"));
    }
    options.add(OptionSpec.flag(DEBUG, "print stack traces of errors").in("General"));
    return options;
  }

  /** The options of help, grouped by section in the order the sections first appear. */
  static Map<String, List<OptionSpec>> sections(Command command) {
    Map<String, List<OptionSpec>> sections = new LinkedHashMap<>();
    for (OptionSpec option : all(command)) {
      sections.computeIfAbsent(option.section(), s -> new ArrayList<>()).add(option);
    }
    return sections;
  }

  /** Renders the option list section by section (picocli's own list has no headings). */
  static String optionList(Command command, CommandLine line, Help help) {
    StringBuilder text = new StringBuilder();
    CommandSpec spec = line.getCommandSpec();
    Map<String, List<OptionSpec>> sections = sections(command);
    for (Map.Entry<String, List<OptionSpec>> section : sections.entrySet()) {
      List<CommandLine.Model.OptionSpec> options = section.getValue().stream()
          .map(o -> spec.findOption(o.flagName())).toList();
      if (section.getKey().equals("General")) {
        options = new ArrayList<>(options);
        options.add(spec.findOption("--help"));
      }
      text.append(String.format("%n%s:%n", section.getKey()));
      text.append(help.optionListExcludingGroups(options, help.createDefaultLayout(), null,
          help.parameterLabelRenderer()));
    }
    return text.toString();
  }

  /** {@code vblora train --model=M --train=FILE --out=DIR [options]}: the required options, then the rest. */
  private static String synopsis(Command command) {
    StringBuilder s = new StringBuilder("vblora ").append(command.name());
    command.options().stream().filter(OptionSpec::required).forEach(o -> s.append(' ').append(o.label()));
    return s.append(" [options]%n").toString();
  }

  private static CommandLine.Model.OptionSpec picocli(OptionSpec option) {
    String description = option.help()
        + (option.defaultValue() != null ? " (default " + option.defaultValue() + ")" : "")
        + (option.required() ? " (required)" : "");
    CommandLine.Model.OptionSpec.Builder b = CommandLine.Model.OptionSpec.builder(option.flagName())
        .description(escape(description));
    if (!option.takesValue()) {
      // One boolean style: --NAME / --no-NAME, or an explicit value; on/off and yes/no as well as true/false.
      return b.type(Boolean.class).negatable(true).arity("0..1").paramLabel("true|false")
          .converters(ValueType::bool).preprocessor(CommandSpecs::booleanWord).build();
    }
    b.paramLabel(option.valueName()).arity("1");
    if (option.type() == ValueType.PATH && !option.repeatable()) {
      return b.type(Path.class).build(); // so that shell completion offers files
    }
    b.converters(v -> {
      option.type().check().apply(v);
      return v;
    });
    if (!option.type().choices().isEmpty()) {
      b.completionCandidates(option.type().choices());
    }
    if (option.repeatable()) {
      return b.type(List.class).auxiliaryTypes(String.class).build();
    }
    return b.type(String.class).build();
  }

  /**
   * picocli takes a separate value for a boolean only when it is true or false; {@code --xla on} (and off, yes,
   * no) is how the command line always said it, so those words are turned into true and false here. Any other
   * word after a boolean is refused, naming the option, rather than read as a stray argument.
   */
  private static boolean booleanWord(Stack<String> args, CommandSpec command, CommandLine.Model.ArgSpec arg,
      Map<String, Object> info) {
    if (args.isEmpty() || "=".equals(info.get("separator"))) {
      return false; // --xla=on: the converter reads the attached value
    }
    String next = args.peek();
    if (ValueType.isBooleanWord(next)) {
      args.pop();
      args.push(String.valueOf(ValueType.bool(next)));
    } else if (!next.startsWith("-") && !next.startsWith("@") && command.positionalParameters().isEmpty()
        && command.subcommands().isEmpty()) {
      throw new CommandLine.ParameterException(command.commandLine(), "invalid value for option "
          + ((CommandLine.Model.OptionSpec) arg).longestName() + ": expected true or false (or on/off), got '"
          + next + "'", arg, next);
    }
    return false;
  }

  /** picocli formats help text with String.format: a literal % must be doubled. */
  static String escape(String text) {
    return text.replace("%", "%%");
  }

  private static CommandLine.Model.OptionSpec debugOption() {
    return picocli(OptionSpec.flag(DEBUG, "print stack traces of errors"));
  }
}
