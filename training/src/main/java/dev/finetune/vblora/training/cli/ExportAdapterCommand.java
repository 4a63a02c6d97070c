package dev.finetune.vblora.training.cli;

import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.training.AdapterExportResult;
import dev.finetune.vblora.training.VbLora;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
        OptionSpec.required("checkpoint", "DIR", "a checkpoint folder, e.g. RUN/checkpoints/step-40")
            .typed(ValueType.PATH),
        OptionSpec.required("out", "DIR", "the adapter folder to write").typed(ValueType.PATH).in(TrainCommand.OUTPUT),
        OptionSpec.flag("overwrite", "replace --out if it holds an adapter vblora wrote").in(TrainCommand.OUTPUT),
        TrainCommand.json("print {\"adapter\", \"step\", \"checkpoint\"} on stdout"));
  }

  @Override
  public List<String> examples() {
    return List.of("vblora export-adapter --checkpoint run/checkpoints/step-40 --out adapter-40");
  }

  @Override
  public int run(ParsedArgs args, PrintStream out, PrintStream err) throws Exception {
    Path dir = args.path("checkpoint").orElseThrow();
    AdapterExportResult result = VbLora.exportAdapter(dir, args.path("out").orElseThrow(), args.flag("overwrite"));
    Path written = result.out().toAbsolutePath().normalize();
    err.println("wrote the adapter of step " + result.step() + " to " + written);
    if (args.flag("json")) {
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("adapter", written.toString());
      json.put("step", result.step());
      json.put("checkpoint", dir.toAbsolutePath().normalize().toString());
      out.println(Json.toIndentedJson(json));
    }
    return Cli.OK;
  }
}
