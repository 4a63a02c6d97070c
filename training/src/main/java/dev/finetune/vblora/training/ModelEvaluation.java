package dev.finetune.vblora.training;

import dev.finetune.vblora.data.ColumnMapping;
import dev.finetune.vblora.data.Dataset;
import dev.finetune.vblora.data.DatasetReader;
import dev.finetune.vblora.data.HeaderMode;
import dev.finetune.vblora.data.InMemoryDataset;
import dev.finetune.vblora.data.LabelSet;
import dev.finetune.vblora.data.ReadOptions;
import dev.finetune.vblora.data.Task;
import dev.finetune.vblora.data.TextExample;
import dev.finetune.vblora.data.error.InvalidSettingException;
import dev.finetune.vblora.savedmodel.ModelResolver;
import dev.finetune.vblora.training.device.DeviceProbe;
import dev.finetune.vblora.training.device.XlaCompilationMode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.tensorflow.proto.ConfigProto;

/**
 * Scores a text model on labelled examples, as it would be served: a merged model, or a base model with an adapter
 * merged into a temporary folder first. The library side of {@code vblora eval} for text models (the command line
 * also scores feature-input models from JSONL and writes and compares prediction tables).
 */
final class ModelEvaluation {
  private ModelEvaluation() {}

  /** @param examples the examples in memory, or null to read {@code config.data()} */
  static EvaluationResult run(EvaluationConfig config, List<TextExample> examples) throws IOException {
    long start = System.nanoTime();
    if (config.data() == null && examples == null) {
      throw new InvalidSettingException("data", "data is required: the labelled data file (or examples given in"
          + " memory)");
    }
    DeviceProbe.requireAvailable(config.deviceOptions());
    config.deviceOptions().requireSessionPrecision("evaluate");
    List<String> warnings = new ArrayList<>();
    // A built-in name (bert-base-uncased) is resolved as train and merge resolve it; a folder is itself.
    Path model = ModelResolver.fromEnvironment().resolve(config.model().toString());
    try (ScoredModel scored = ScoredModel.of(model, Optional.ofNullable(config.adapter()), config.tag(),
        config.signature(), warnings::add, progress -> {})) { // evaluate has no progress listener
      scored.requireTextPairs(examples != null ? examples.stream().anyMatch(e -> e.textPair() != null)
          : config.textPairColumn() != null);
      return score(config, scored.folder(), scored.labels(), examples, warnings, start);
    }
  }

  private static EvaluationResult score(EvaluationConfig config, Path served, Optional<LabelSet> labels,
      List<TextExample> examples, List<String> warnings, long start) throws IOException {
    ConfigProto session = config.deviceOptions().toConfigProto();
    XlaCompilationMode.compileEachShapeOnFirstCallFor(session);
    try (ServingModel serving = ServingModel.load(served, config.tag(), config.signature(), config.ioSettings(),
        session, null)) {
      if (!serving.inputs().text()) {
        throw new InvalidSettingException("model", "model " + config.model() + " takes feature inputs, not text;"
            + " score it with vblora eval on a JSONL file");
      }
      Task task = serving.task();
      labels = serving.requireLabels(labels, config.model(), Optional.ofNullable(config.adapter()));
      Dataset dataset = read(config, examples, task, labels.orElse(null));
      EvaluationBatches scored = EvaluationBatches.ofText(serving, served, dataset, config.tokenizerOptions(),
          config.maxLength(), config.lengthBuckets(), config.batchSize(), config.deviceOptions().xla(),
          warnings::add);
      var metrics = Evaluation.metrics(scored.batches(), serving::predict, labels.map(LabelSet::size).orElse(1),
          task);
      return new EvaluationResult(scored.encoded().size(), metrics, (System.nanoTime() - start) / 1e6, warnings);
    }
  }

  private static Dataset read(EvaluationConfig config, List<TextExample> examples, Task task, LabelSet labels)
      throws IOException {
    if (examples != null) {
      return InMemoryDataset.of("data", examples, task, labels);
    }
    ReadOptions options = ReadOptions.of(ColumnMapping.of(config.textColumn(), config.textPairColumn(),
        config.labelColumn()), task).withHeader(config.noHeader() ? HeaderMode.ABSENT : HeaderMode.DETECT);
    return task == Task.CLASSIFICATION ? DatasetReader.read(config.data(), options, labels)
        : DatasetReader.read(config.data(), options);
  }
}
