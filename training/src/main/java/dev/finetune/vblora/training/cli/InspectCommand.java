package dev.finetune.vblora.training.cli;

import dev.finetune.vblora.savedmodel.Inspection;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/** {@code vblora inspect}: signatures, adaptable kernels and the adapter plan of a selection. */
final class InspectCommand implements Command {
  @Override
  public String name() {
    return "inspect";
  }

  @Override
  public String summary() {
    return "show a SavedModel's signatures, its adaptable kernels and the adapter plan for a selection";
  }

  @Override
  public List<OptionSpec> options() {
    List<OptionSpec> options = new ArrayList<>(ModelOptions.specs());
    options.addAll(AdapterOptions.selectionSpecs());
    options.addAll(AdapterOptions.adapterSpecs());
    options.add(OptionSpec.flag("json", "print one JSON document instead of text"));
    return options;
  }

  @Override
  public int run(ParsedArgs args, PrintStream out, PrintStream err) {
    Inspection inspection = Inspection.inspect(ModelOptions.read(args), ModelOptions.signature(args),
        AdapterOptions.selection(args), AdapterOptions.planner(args));
    out.println(args.flag("json") ? inspection.toJson() : inspection.toText());
    return Cli.OK;
  }
}
