package dev.finetune.vblora.training;

import dev.finetune.vblora.data.Dataset;
import dev.finetune.vblora.data.batch.Batch;
import dev.finetune.vblora.data.batch.Batcher;
import dev.finetune.vblora.data.batch.EncodedDataset;
import dev.finetune.vblora.data.batch.LengthBuckets;
import dev.finetune.vblora.data.tokenizer.TokenizerOptions;
import dev.finetune.vblora.savedmodel.ModelTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * Labelled text examples made into the batches a served model scores: encoded with the model's tokenizer at the
 * length the model takes, the examples cut to it counted in a warning, and batched in file order with the length
 * buckets the model allows. One place for what {@code vblora eval} and {@code VbLora.evaluate} both do, so that
 * their scores and warnings cannot drift apart.
 *
 * @param encoded the examples as token ids
 * @param batches every example once, in file order
 */
public record EvaluationBatches(EncodedDataset encoded, List<Batch> batches) {
  public EvaluationBatches {
    batches = List.copyOf(batches);
  }

  /**
   * @param served the folder {@code serving} was loaded from (its tokenizer assets)
   * @param maxLength the length asked for; a model whose signature fixes a shorter one gets that
   * @param lengthBuckets the buckets asked for (see {@link BatchShapes#buckets}); a TF2 function graph takes its
   *     signature's fixed length whatever they say
   * @param warnings told when examples were cut to the maximum length, and when many word pieces are [UNK]
   */
  public static EvaluationBatches ofText(ServingModel serving, Path served, Dataset dataset,
      TokenizerOptions tokenizer, int maxLength, String lengthBuckets, int batchSize, boolean xla,
      Consumer<String> warnings) throws IOException {
    int length = serving.maxLength(maxLength);
    EncodedDataset encoded = EncodedDataset.encode(dataset, ModelTokenizer.resolve(served, tokenizer).tokenizer(),
        length);
    TruncationWarning.forEvaluation(encoded, length < maxLength).ifPresent(warnings);
    UnknownTokensWarning.forEvaluation(encoded).ifPresent(warnings);
    LengthBuckets buckets = serving.lengthBuckets(lengthBuckets, xla, length, encoded.longestExample());
    return of(encoded, buckets, batchSize, xla);
  }

  /** {@code encoded} in batches of {@code batchSize} padded to {@code buckets}, in file order. */
  public static EvaluationBatches of(EncodedDataset encoded, LengthBuckets buckets, int batchSize, boolean xla) {
    return new EvaluationBatches(encoded,
        new Batcher(encoded, BatchShapes.evaluation(batchSize, buckets, xla)).epoch(0));
  }
}
