package dev.finetune.vblora.data.batch;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.Objects;

/**
 * How examples are grouped into batches.
 *
 * @param shuffle a new order every epoch, reproducible from (seed, epoch); false keeps file order
 * @param dropLast drop the last batch of an epoch when it is smaller than {@code batchSize}
 * @param lengthGroupingWindow 0 for plain batches; otherwise, after shuffling, each window of that many
 *     batches' examples is sorted by length before it is cut into batches, and the batches are then
 *     shuffled: batches of similar lengths pad to smaller buckets, at the cost of some randomness
 * @param fullBatches every batch has {@code batchSize} rows: a short batch is filled with padding rows that
 *     weigh nothing (see {@link Batch#exampleWeights()}), so the graph sees one batch size
 */
public record BatchingOptions(int batchSize, LengthBuckets buckets, boolean shuffle, long seed,
    boolean dropLast, int lengthGroupingWindow, boolean fullBatches) {

  public BatchingOptions {
    Objects.requireNonNull(buckets, "buckets");
    if (batchSize <= 0) {
      throw new VbLoraException("batch size must be positive, got " + batchSize);
    }
    if (lengthGroupingWindow < 0) {
      throw new VbLoraException("length grouping window must be 0 (off) or positive, got "
          + lengthGroupingWindow);
    }
    if (lengthGroupingWindow > 0 && !shuffle) {
      throw new VbLoraException("length grouping reorders examples; it needs shuffling on");
    }
  }

  /** Training: shuffled every epoch, all examples used, no length grouping, batches as they fall. */
  public static BatchingOptions training(int batchSize, int maxLength, long seed) {
    return training(batchSize, LengthBuckets.upTo(maxLength), seed);
  }

  /** Training with these buckets: shuffled every epoch, all examples used, batches as they fall. */
  public static BatchingOptions training(int batchSize, LengthBuckets buckets, long seed) {
    return new BatchingOptions(batchSize, buckets, true, seed, false, 0, false);
  }

  /** Evaluation: file order, all examples, batches as they fall. */
  public static BatchingOptions evaluation(int batchSize, int maxLength) {
    return evaluation(batchSize, LengthBuckets.upTo(maxLength));
  }

  /** Evaluation with these buckets: file order, all examples, batches as they fall. */
  public static BatchingOptions evaluation(int batchSize, LengthBuckets buckets) {
    return new BatchingOptions(batchSize, buckets, false, 0, false, 0, false);
  }

  public BatchingOptions withLengthGrouping(int windowBatches) {
    return new BatchingOptions(batchSize, buckets, shuffle, seed, dropLast, windowBatches, fullBatches);
  }

  public BatchingOptions withDropLast(boolean dropLast) {
    return new BatchingOptions(batchSize, buckets, shuffle, seed, dropLast, lengthGroupingWindow, fullBatches);
  }

  public BatchingOptions withFullBatches(boolean fullBatches) {
    return new BatchingOptions(batchSize, buckets, shuffle, seed, dropLast, lengthGroupingWindow, fullBatches);
  }
}
