package dev.finetune.vblora.training.cli;

import dev.finetune.vblora.data.Task;
import dev.finetune.vblora.data.error.InvalidSettingException;
import dev.finetune.vblora.data.demo.DemoDataset;
import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.savedmodel.BuiltInModels;
import dev.finetune.vblora.data.io.AtomicDirectoryWriter;
import dev.finetune.vblora.data.io.OutputMarker;
import dev.finetune.vblora.training.TrainConfig;
import dev.finetune.vblora.training.TrainingResult;
import dev.finetune.vblora.training.device.DeviceOptions;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code vblora demo}: the README's main job. Fine-tunes BERT-base uncased with VB-LoRA on the built-in
 * sentiment set (320 training, 80 validation sentences) with settings chosen to finish on two CPU cores in a
 * few minutes: the paper's bank (h=90, b=256, r=4, k=2) on query and value, sentences cut to 32 tokens,
 * batches of 16.
 */
final class DemoCommand implements Command {
  static final String DEFAULT_OUT = "vblora-demo";
  // Measured on 2 CPU cores (docs/cli.md): these finish in well under 5 minutes.
  static final int EPOCHS = 3;
  static final int BATCH_SIZE = 16;
  static final int MAX_LENGTH = 32;

  @Override
  public String name() {
    return "demo";
  }

  @Override
  public String summary() {
    return "fine-tune BERT-base on the built-in sentiment set (CPU, a few minutes) and export the results";
  }

  @Override
  public List<OptionSpec> options() {
    List<OptionSpec> options = new ArrayList<>();
    options.add(OptionSpec.optional("out", "DIR", "output folder (a previous demo there is replaced)", DEFAULT_OUT)
        .typed(ValueType.PATH).in(TrainCommand.OUTPUT));
    options.add(TrainCommand.integer("epochs", "passes over the 320 training sentences", EPOCHS)
        .in(TrainCommand.TRAINING));
    options.addAll(SessionOptions.specs());
    options.add(SessionOptions.fusedAttentionSpec());
    options.add(TrainCommand.json("print metrics.json's document on stdout"));
    return options;
  }

  @Override
  public List<String> examples() {
    return List.of("vblora demo", "vblora demo --epochs 1 --out /tmp/demo --json");
  }

  /** The demo's settings for data in {@code dataDir} and output in {@code out}. */
  static TrainConfig config(Path dataDir, Path out, int epochs, DeviceOptions device) {
    return TrainConfig.builder()
        .model(BuiltInModels.BERT_BASE_UNCASED.name())
        .train(dataDir.resolve(DemoDataset.TRAIN_FILE))
        .valid(dataDir.resolve(DemoDataset.VALID_FILE))
        .textColumn("sentence").labelColumn("label").task(Task.CLASSIFICATION)
        // A small bank for 320 sentences; targets, method, learning rates and warmup are train's defaults.
        .numVectors(90).vectorLength(256).rank(4).topk(2)
        .epochs(epochs).batchSize(BATCH_SIZE).maxLength(MAX_LENGTH)
        .logEvery(5).seed(42).deviceOptions(device)
        .out(out).overwrite(Files.isDirectory(out))
        .build();
  }

  /**
   * The demo replaces its folder as train --overwrite would, but it has no --overwrite of its own: a folder it may
   * not replace is refused in the demo's words, without naming an option the user never gave.
   */
  private static void requireDemosOwn(Path folder) throws IOException {
    if (!Files.isDirectory(folder)) {
      return;
    }
    Optional<String> why = AtomicDirectoryWriter.whyNotReplaceable(folder, OutputMarker.Kind.RUN);
    if (why.isPresent()) {
      throw new InvalidSettingException("out", "demo does not write into " + folder + ", which it replaces only"
          + " when an earlier demo or train run wrote it: " + why.get());
    }
  }

  @Override
  public int run(ParsedArgs args, PrintStream out, PrintStream err) throws Exception {
    DeviceOptions device = SessionOptions.read(args);
    Path dataDir = Files.createTempDirectory("vblora-demo-data");
    try {
      DemoDataset.copyTo(dataDir);
      TrainConfig config = config(dataDir, Path.of(args.stringOrDefault("out")),
          args.integerOrDefault("epochs"), device);
      requireDemosOwn(config.out());
      err.println("vblora demo: fine-tuning " + config.model() + " with VB-LoRA (h=90, b=256, r=4, k=2 on query and"
          + " value) on the built-in sentiment set; first use fetches the model (~400 MB)");
      TrainingResult result = TrainCommand.train(config, err);
      if (args.flag("json")) {
        out.println(Json.toIndentedJson(result.toJson()));
      }
      err.println("try: vblora eval --model " + result.merged() + " --data <file.tsv>");
      return Cli.OK;
    } finally {
      AtomicDirectoryWriter.deleteTree(dataDir);
    }
  }
}
