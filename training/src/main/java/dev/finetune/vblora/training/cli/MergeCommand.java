package dev.finetune.vblora.training.cli;

import dev.finetune.vblora.data.Counted;
import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.savedmodel.BuiltInModels;
import dev.finetune.vblora.training.MergeConfig;
import dev.finetune.vblora.training.MergeResult;
import dev.finetune.vblora.training.VbLora;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
    List<OptionSpec> options = new ArrayList<>(
        ModelOptions.specs("the base SavedModel folder", "signature whose kernels the adapter adapts"));
    options.add(OptionSpec.required("adapter", "DIR", "adapter folder (adapter_config.json + "
        + "adapter_model.safetensors)").typed(ValueType.PATH).in(ModelOptions.MODEL));
    options.add(OptionSpec.required("out", "DIR", "the merged SavedModel folder to write").typed(ValueType.PATH)
        .in(TrainCommand.OUTPUT));
    options.add(OptionSpec.flag("overwrite", "replace --out if it holds a merged model vblora wrote")
        .in(TrainCommand.OUTPUT));
    options.add(TrainCommand.json("print {\"merged\", \"kernels\", \"head\"} on stdout"));
    return options;
  }

  @Override
  public List<String> examples() {
    return List.of("vblora merge --model bert-base-uncased --adapter run/adapter --out served/sst2",
        "vblora merge --model bert-base-uncased --adapter peft-adapter --out served/peft --overwrite --json");
  }

  @Override
  public int run(ParsedArgs args, PrintStream out, PrintStream err) throws Exception {
    Path model = ModelOptions.folder(args, err); // a built-in model is fetched here: the library never downloads
    MergeResult result = VbLora.merge(MergeConfig.builder().model(model.toString())
        .tag(args.stringOrDefault("tag")).signature(args.stringOrDefault("signature"))
        .adapter(args.path("adapter").orElseThrow()).out(args.path("out").orElseThrow())
        .overwrite(args.flag("overwrite")).build());
    Path merged = result.out().toAbsolutePath().normalize();
    result.warnings().forEach(warning -> err.println("vblora merge: warning: " + warning));
    err.println("merged " + Counted.of(result.kernels(), "kernel")
        + (result.head() ? " and the task head" : "") + " into " + merged);
    if (args.flag("json")) {
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("merged", merged.toString());
      json.put("kernels", result.kernels());
      json.put("head", result.head());
      out.println(Json.toIndentedJson(json));
    }
    return Cli.OK;
  }
}
