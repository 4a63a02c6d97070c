package dev.finetune.vblora.training.cli;

import java.util.List;

/** The {@code vblora} launcher's entry point. */
public final class Main {
  private Main() {}

  /** Every command, in the order {@code vblora --help} lists them. */
  public static List<Command> commands() {
    return List.of(new InspectCommand(), new TrainCommand(), new EvalCommand(), new MergeCommand(),
        new ExportAdapterCommand(), new BenchCommand(), new DemoCommand(), new FetchCommand(), new CompletionCommand(Main::commands));
  }

  public static void main(String[] args) {
    int status = new Cli(commands(), System.out, System.err).run(args);
    System.out.flush();
    System.exit(status);
  }
}
