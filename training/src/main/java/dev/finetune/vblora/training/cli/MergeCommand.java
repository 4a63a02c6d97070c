package dev.finetune.vblora.training.cli;

import dev.finetune.vblora.savedmodel.BuiltInModels;
import dev.finetune.vblora.training.MergeConfig;
import dev.finetune.vblora.training.MergeResult;
import dev.finetune.vblora.training.VbLora;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code vblora merge}: base model + adapter folder -> merged SavedModel, the deploy path. No training code runs:
 * the adapter's deltas are computed in plain Java and added to the base kernels by MergedExporter.
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
    Path model = ModelOptions.folder(args, err); // a built-in model is fetched here: the library never downloads
    MergeResult result = VbLora.merge(MergeConfig.builder().model(model.toString())
        .tag(args.stringOrDefault("tag")).signature(args.stringOrDefault("signature"))
        .adapter(args.path("adapter").orElseThrow()).out(args.path("out").orElseThrow())
        .overwrite(args.flag("overwrite")).build());
    err.println("merged " + result.kernels() + " kernels" + (result.head() ? " and the task head" : "") + " into "
        + result.out().toAbsolutePath().normalize());
    return Cli.OK;
  }
}
