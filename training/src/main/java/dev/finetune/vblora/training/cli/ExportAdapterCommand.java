package dev.finetune.vblora.training.cli;

import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.savedmodel.adapter.AdapterFolder;
import dev.finetune.vblora.data.io.OutputOverlap;
import dev.finetune.vblora.training.checkpoint.Checkpoint;
import dev.finetune.vblora.training.checkpoint.CheckpointStore;
import dev.finetune.vblora.training.export.AdapterExport;
import dev.finetune.vblora.training.export.AdapterManifest;
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
    Path target = args.path("out").orElseThrow();
    OutputOverlap.check("--out", target, Map.of("--checkpoint", dir), args.flag("overwrite"));
    Checkpoint checkpoint = CheckpointStore.load(dir);
    Object manifest = checkpoint.state().config().get("manifest");
    if (manifest == null) {
      throw new UserError("checkpoint " + dir + " holds no adapter manifest; it was not written by vblora train");
    }
    AdapterManifest parsed;
    try {
      parsed = AdapterManifest.fromJson(Json.asObject(manifest, "manifest of " + dir));
    } catch (IllegalArgumentException e) {
      throw new UserError("checkpoint " + dir + " cannot be exported: " + e.getMessage()
          + "; export it with the vblora version that wrote it, or train a fresh run", e);
    }
    AdapterFolder.write(AdapterExport.toPeft(parsed, checkpoint.tensors()), target, args.flag("overwrite"));
    Path written = target.toAbsolutePath().normalize();
    err.println("wrote the adapter of step " + checkpoint.state().step() + " to " + written);
    if (args.flag("json")) {
      Map<String, Object> result = new LinkedHashMap<>();
      result.put("adapter", written.toString());
      result.put("step", checkpoint.state().step());
      result.put("checkpoint", dir.toAbsolutePath().normalize().toString());
      out.println(Json.toIndentedJson(result));
    }
    return Cli.OK;
  }
}
