package dev.finetune.vblora.training.cli;

import dev.finetune.vblora.savedmodel.BuiltInModels;
import dev.finetune.vblora.savedmodel.SavedModelReader;
import dev.finetune.vblora.data.io.OutputOverlap;
import dev.finetune.vblora.savedmodel.export.AdapterDeltas;
import dev.finetune.vblora.savedmodel.export.MergedModel;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code vblora merge}: base model + adapter folder -> merged SavedModel, the deploy path. No training code runs:
 * MergedModel.merge, in the savedmodel module, computes the adapter's deltas in plain Java and adds them to the
 * base kernels.
 */
final class MergeCommand implements Command {
  @Override
  public String name() {
    return "merge";
  }

  @Override
  public String summary() {
    return "bake an adapter into its base model: a merged SavedModel for TF Serving (no training code)";
  }

  @Override
  public List<OptionSpec> options() {
    return List.of(
        OptionSpec.required("model", "M",
            "the base SavedModel folder, or a built-in name (" + BuiltInModels.names() + ")"),
        OptionSpec.optional("tag", "TAG", "meta graph tag set of the model", "serve"),
        OptionSpec.optional("signature", "KEY", "signature whose kernels the adapter adapts", "serving_default"),
        OptionSpec.required("adapter", "DIR", "adapter folder (adapter_config.json + adapter_model.safetensors)"),
        OptionSpec.required("out", "DIR", "the merged SavedModel folder to write"),
        OptionSpec.flag("overwrite", "replace --out if it holds a merged model vblora wrote"));
  }

  @Override
  public int run(ParsedArgs args, PrintStream out, PrintStream err) throws Exception {
    Path model = ModelOptions.folder(args, err);
    Path adapterDir = args.path("adapter").orElseThrow();
    Path target = args.path("out").orElseThrow();
    OutputOverlap.check("--out", target, Map.of("--model", model, "--adapter", adapterDir), args.flag("overwrite"));
    AdapterDeltas deltas = MergedModel.merge(
        SavedModelReader.read(model, java.util.Set.of(args.stringOrDefault("tag").split(","))),
        args.stringOrDefault("tag"), args.stringOrDefault("signature"), adapterDir, target, args.flag("overwrite"));
    err.println("merged " + deltas.deltas().size() + " kernels" + (deltas.head().isPresent() ? " and the task head" : "")
        + " into " + target.toAbsolutePath().normalize());
    return Cli.OK;
  }
}
