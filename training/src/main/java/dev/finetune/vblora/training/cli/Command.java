package dev.finetune.vblora.training.cli;

import java.io.PrintStream;
import java.util.List;

/** One {@code vblora} sub-command. Implementations stay thin: read options, call the library, print. */
public interface Command {
  String name();

  /** One line for the command list. */
  String summary();

  List<OptionSpec> options();

  /** Command lines that show what the command is for, each a line of help's "Examples" section. */
  default List<String> examples() {
    return List.of();
  }

  /**
   * Whether {@code --config RUN/config.json} supplies the options the command line leaves out (train: re-run a
   * run with a few settings changed).
   */
  default boolean takesRunConfig() {
    return false;
  }

  /**
   * Runs the command.
   *
   * @param out standard output: with {@code --json} exactly one JSON document goes here
   * @param err human-facing progress and messages
   * @return the exit status (0 on success)
   */
  int run(ParsedArgs args, PrintStream out, PrintStream err) throws Exception;
}
