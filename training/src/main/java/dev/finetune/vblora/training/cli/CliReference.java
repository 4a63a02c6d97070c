package dev.finetune.vblora.training.cli;

import java.util.List;
import java.util.Map;

/**
 * docs/cli.md's option reference, written from the same {@link OptionSpec}s that parse the command line: per
 * command, a table of every option with its value, default and help, under the sections help shows. The committed
 * file must equal what this writes (CliReferenceTest), so the docs and the code cannot drift.
 */
public final class CliReference {
  public static final String BEGIN = "<!-- option reference: generated from the option definitions by CliReference;"
      + " do not edit by hand -->";
  public static final String END = "<!-- end of the option reference -->";

  private CliReference() {}

  /** The reference between (and including) the {@link #BEGIN} and {@link #END} markers. */
  public static String markdown(List<Command> commands) {
    StringBuilder md = new StringBuilder(BEGIN).append('\n');
    for (Command command : commands) {
      md.append("\n### vblora ").append(command.name()).append("\n\n").append(command.summary()).append(".\n");
      for (Map.Entry<String, List<OptionSpec>> section : CommandSpecs.sections(command).entrySet()) {
        md.append("\n| ").append(section.getKey()).append(" | default | |\n|---|---|---|\n");
        for (OptionSpec o : section.getValue()) {
          md.append("| `").append(cell(o.label())).append("` | ")
              .append(o.defaultValue() == null ? "" : "`" + o.defaultValue() + "`")
              .append(" | ").append(cell(o.help() + (o.required() ? " (required)" : ""))).append(" |\n");
        }
      }
    }
    return md.append('\n').append(END).toString();
  }

  private static String cell(String text) {
    return text.replace("|", "\\|");
  }
}
