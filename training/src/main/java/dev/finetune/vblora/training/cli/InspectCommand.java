package dev.finetune.vblora.training.cli;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.model.AdapterPlan;
import dev.finetune.vblora.model.Kernel;
import dev.finetune.vblora.model.KernelDiscovery;
import dev.finetune.vblora.model.TargetSelection;
import dev.finetune.vblora.model.TargetSelector;
import dev.finetune.vblora.savedmodel.SavedModelInfo;
import dev.finetune.vblora.training.inspect.Inspection;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * {@code vblora inspect}: signatures, adaptable kernels and the adapter plan of a selection. A dry run: kernels whose
 * sizes do not divide --vector-length are marked in the listing (and in --json), not an error.
 */
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
    options.add(TrainCommand.json("print one JSON document instead of text"));
    return options;
  }

  @Override
  public List<String> examples() {
    return List.of("vblora inspect --model bert-base-uncased",
        "vblora inspect --model my-model --targets all-linear --layers 0-5 --vector-length 64 --json");
  }

  @Override
  public int run(ParsedArgs args, PrintStream out, PrintStream err) {
    // Settings that are wrong in themselves (--vector-length 0, --layers 0-x) are refused first, before the model is
    // read and outside the catch below, which is for a selection that matches nothing and lists the kernels.
    TargetSelection selection = AdapterOptions.selection(args);
    Function<List<Kernel>, AdapterPlan> planner = AdapterOptions.planner(args);
    SavedModelInfo info = ModelOptions.read(args, err);
    String signature = ModelOptions.signature(args);
    Inspection inspection;
    try {
      inspection = Inspection.inspect(info, signature, selection, planner);
    } catch (IllegalArgumentException e) {
      if (args.string("targets").isEmpty() && args.string("exclude").isEmpty() && args.string("layers").isEmpty()) {
        // The default preset does not fit this model (a Dense stack, say): a discovery run, so report the
        // kernels with why none is selected rather than fail.
        String why = e instanceof VbLoraException v ? SettingFlags.translate(v) : e.getMessage();
        inspection = Inspection.unselected(info, signature, planner, "the default --targets "
            + args.stringOrDefault("targets") + " selects no kernel of this model (" + why + "); choose them with"
            + " --targets (all-linear, names or a regex)");
      } else {
        // The selection asked for matches nothing; the kernels are still what the user came to see. Listed here,
        // the error's pointer to this very command is left out.
        if (listKernels(info, signature, err)) {
          throw new UserError(LibraryErrors.describe(e).replace(TargetSelector.INSPECT_HINT, ""), e);
        }
        throw e;
      }
    }
    out.println(args.flag("json") ? inspection.toJson() : inspection.toText());
    return Cli.OK;
  }

  /** Lists the signature's kernels on {@code err}; false when the signature itself is the problem. */
  private static boolean listKernels(SavedModelInfo info, String signature, PrintStream err) {
    List<Kernel> kernels;
    try {
      kernels = KernelDiscovery.discover(info.metaGraph(), signature);
    } catch (IllegalArgumentException e) {
      return false; // the error says what is wrong with the signature
    }
    err.println("adaptable kernels of signature " + signature + " (" + kernels.size() + "):");
    for (Kernel k : kernels) {
      err.printf("  %-60s %-14s %s%n", k.name(), k.shape(), k.layout());
    }
    return true;
  }
}
