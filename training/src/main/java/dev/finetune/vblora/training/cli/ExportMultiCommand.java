package dev.finetune.vblora.training.cli;

import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.savedmodel.export.MultiAdapterModel;
import dev.finetune.vblora.training.VbLora;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code vblora export-multi}: base model + N adapter folders -> ONE SavedModel whose requests choose an adapter
 * per example (input {@code adapter}, a name; "base" is the untouched model). Self-contained: flags map to
 * {@link MultiAdapterModel.Request} and nothing else.
 */
final class ExportMultiCommand implements Command {
  @Override
  public String name() {
    return "export-multi";
  }

  @Override
  public String summary() {
    return "one SavedModel serving many adapters of one base model, chosen per example by name";
  }

  @Override
  public List<OptionSpec> options() {
    List<OptionSpec> options = new ArrayList<>(
        ModelOptions.specs("the base SavedModel folder", "signature whose kernels the adapters adapt"));
    options.add(OptionSpec.repeatable("adapter", "[NAME=]DIR",
        "an adapter folder, served under NAME (default: the folder's name); repeat for each adapter")
        .in(ModelOptions.MODEL));
    options.add(OptionSpec.required("out", "DIR", "the multi-adapter SavedModel folder to write")
        .typed(ValueType.PATH).in(TrainCommand.OUTPUT));
    options.add(OptionSpec.flag("half-precision-bank", "store VB-LoRA vector banks as float16 (half their size;"
        + " outputs then differ from the merged models by the banks' rounding)").in(TrainCommand.OUTPUT));
    options.add(OptionSpec.flag("overwrite", "replace --out if it holds a multi-adapter model vblora wrote")
        .in(TrainCommand.OUTPUT));
    options.add(TrainCommand.json("print {\"model\", \"adapters\"} on stdout"));
    return options;
  }

  @Override
  public List<String> examples() {
    return List.of("vblora export-multi --model bert-base-uncased --adapter sst2=runs/sst2/adapter"
        + " --adapter cola=runs/cola/adapter --out models/bert-multi/1");
  }

  @Override
  public int run(ParsedArgs args, PrintStream out, PrintStream err) throws Exception {
    Path model = ModelOptions.folder(args, err);
    Path target = args.path("out").orElseThrow();
    List<String> adapters = args.all("adapter");
    if (adapters.isEmpty()) {
      throw new UsageError("give at least one --adapter [NAME=]DIR");
    }
    MultiAdapterModel.Builder request = MultiAdapterModel.Request.builder(model, target)
        .tag(args.stringOrDefault("tag")).signature(args.stringOrDefault("signature"))
        .halfPrecisionBank(args.flag("half-precision-bank")).overwrite(args.flag("overwrite"));
    for (String value : adapters) {
      int eq = value.indexOf('=');
      Path folder = Path.of(eq > 0 ? value.substring(eq + 1) : value);
      if (eq > 0) {
        request.adapter(value.substring(0, eq), folder);
      } else {
        request.adapter(folder);
      }
    }
    List<String> names = VbLora.exportMulti(request.build());
    Path written = target.toAbsolutePath().normalize();
    err.println("wrote one model serving " + names.size() + " adapters (" + String.join(", ", names)
        + ", and base) into " + written);
    if (args.flag("json")) {
      Map<String, Object> result = new LinkedHashMap<>();
      result.put("model", written.toString());
      result.put("adapters", names);
      out.println(Json.toIndentedJson(result));
    }
    return Cli.OK;
  }
}
