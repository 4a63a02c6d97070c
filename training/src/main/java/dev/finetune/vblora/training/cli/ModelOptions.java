package dev.finetune.vblora.training.cli;

import dev.finetune.vblora.savedmodel.BuiltInModels;
import dev.finetune.vblora.savedmodel.SavedModelInfo;
import dev.finetune.vblora.savedmodel.SavedModelReader;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/** {@code --model M [--tag T] [--signature S]}: which SavedModel, meta graph and signature a command uses. */
final class ModelOptions {
  static final String MODEL = "Model";

  private ModelOptions() {}

  static List<OptionSpec> specs() {
    return List.of(
        OptionSpec.required("model", "M", "a SavedModel folder, or a built-in name (" + BuiltInModels.names() + ")")
            .in(MODEL),
        OptionSpec.optional("tag", "TAG", "meta graph tag set to load", SavedModelReader.SERVE).in(MODEL),
        OptionSpec.optional("signature", "KEY", "signature whose serving path is adapted",
            SavedModelInfo.DEFAULT_SIGNATURE).in(MODEL));
  }

  /**
   * The local folder of --model; a built-in name missing from the local Maven repository is fetched first
   * (progress on {@code err}) and unpacked once.
   */
  static Path folder(ParsedArgs args, PrintStream err) {
    return BuiltInModelFetcher.fromEnvironment().folder(args.string("model").orElseThrow(), err);
  }

  static SavedModelInfo read(ParsedArgs args, PrintStream err) {
    return SavedModelReader.read(folder(args, err), Set.of(args.stringOrDefault("tag").split(",")));
  }

  static String signature(ParsedArgs args) {
    return args.stringOrDefault("signature");
  }
}
