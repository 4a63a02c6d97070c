package dev.finetune.vblora.training.cli;

import dev.finetune.vblora.training.AdapterExportResult;
import dev.finetune.vblora.training.VbLora;
import java.io.PrintStream;
import java.util.List;

/** {@code vblora export-adapter}: a PEFT adapter folder from a training checkpoint (DIR/checkpoints/step-N). */
final class ExportAdapterCommand implements Command {
  @Override
  public String name() {
    return "export-adapter";
  }

  @Override
  public String summary() {
    return "write the PEFT adapter folder of a training checkpoint";
  }

  @Override
  public List<OptionSpec> options() {
    return List.of(
        OptionSpec.required("checkpoint", "DIR", "a checkpoint folder, e.g. RUN/checkpoints/step-40"),
        OptionSpec.required("out", "DIR", "the adapter folder to write"),
        OptionSpec.flag("overwrite", "replace --out if it holds an adapter vblora wrote"));
  }

  @Override
  public int run(ParsedArgs args, PrintStream out, PrintStream err) throws Exception {
    AdapterExportResult result = VbLora.exportAdapter(args.path("checkpoint").orElseThrow(),
        args.path("out").orElseThrow(), args.flag("overwrite"));
    err.println("wrote the adapter of step " + result.step() + " to " + result.out().toAbsolutePath().normalize());
    return Cli.OK;
  }
}
