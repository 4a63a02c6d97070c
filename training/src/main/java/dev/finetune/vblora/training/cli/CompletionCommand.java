package dev.finetune.vblora.training.cli;

import dev.finetune.vblora.data.json.Json;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import picocli.AutoComplete;

/**
 * {@code vblora completion}: a bash (and zsh) completion script for every command, option and fixed value, made
 * by picocli's AutoComplete from the same definitions that parse the command line.
 */
final class CompletionCommand implements Command {
  private final Supplier<List<Command>> commands;

  CompletionCommand(Supplier<List<Command>> commands) {
    this.commands = commands;
  }

  @Override
  public String name() {
    return "completion";
  }

  @Override
  public String summary() {
    return "print a bash/zsh completion script: source <(vblora completion)";
  }

  @Override
  public List<OptionSpec> options() {
    return List.of(TrainCommand.json("print {\"shell\", \"script\"} on stdout instead of the script alone"));
  }

  @Override
  public List<String> examples() {
    return List.of("source <(vblora completion)   (in ~/.bashrc; zsh: autoload -U +X bashcompinit && bashcompinit"
        + " first)", "vblora completion > /etc/bash_completion.d/vblora");
  }

  @Override
  public int run(ParsedArgs args, PrintStream out, PrintStream err) {
    String script = AutoComplete.bash(CommandSpecs.ROOT, new Cli(commands.get(), out, err).commandLine());
    out.print(args.flag("json") ? Json.toIndentedJson(Map.of("shell", "bash", "script", script)) + "\n" : script);
    return Cli.OK;
  }
}
