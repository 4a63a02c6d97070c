package dev.finetune.vblora.training;

import dev.finetune.vblora.data.error.InvalidSettingException;
import dev.finetune.vblora.data.batch.BatchingOptions;
import dev.finetune.vblora.data.batch.EncodedDataset;
import dev.finetune.vblora.data.batch.LengthBuckets;
import java.util.List;
import java.util.Locale;

/**
 * The batch shapes of a run: which sequence lengths batches are padded to, and whether short batches are filled
 * up to the full batch size.
 *
 * <p>Under XLA every new batch shape is a compilation, which costs seconds on a GPU (docs/benchmarks.md, time to
 * result), so there a run uses as few shapes as it can: one length bucket that fits the run's longest example,
 * and full batches (short ones filled with padding rows that weigh nothing), so that training and evaluation
 * each compile once. Without XLA a new shape costs nothing and padding costs compute, so batches are padded
 * only to the smallest of 16, 32, 64, ... that fits them, and a short batch stays short.
 *
 * <p>The user's choice ({@code --length-buckets}): {@value #AUTO} (as above, by whether XLA is on),
 * {@value #LONGEST} (one bucket: the longest example rounded up to a multiple of 8), {@value #DOUBLING}
 * (16, 32, 64, ... up to the max length) or a list of lengths such as {@code 32,64}.
 */
public final class BatchShapes {
  public static final String AUTO = "auto";
  public static final String LONGEST = "longest";
  public static final String DOUBLING = "doubling";
  /** Lengths of the single bucket are rounded up to a multiple of this (tensor cores, XLA tiling). */
  static final int LENGTH_MULTIPLE = 8;

  private BatchShapes() {}

  /** Fails with a message naming the option when {@code spec} is not a valid choice for {@code maxLength}. */
  public static void validate(String spec, int maxLength) {
    if (spec == null || spec.isBlank()) {
      throw new InvalidSettingException("lengthBuckets", "lengthBuckets must be auto, longest, doubling or lengths such as 32,64");
    }
    String s = spec.trim().toLowerCase(Locale.ROOT);
    if (!s.equals(AUTO) && !s.equals(LONGEST) && !s.equals(DOUBLING)) {
      try {
        LengthBuckets.parse(s, maxLength);
      } catch (IllegalArgumentException e) {
        throw new InvalidSettingException(List.of("lengthBuckets"), "lengthBuckets " + spec + ": " + e.getMessage()
            + " (or use auto, longest or doubling)", e);
      }
    }
  }

  /**
   * The buckets for data encoded with {@code maxLength} whose longest example (over every set the run batches)
   * has {@code longestExample} tokens.
   */
  public static LengthBuckets buckets(String spec, boolean xla, int maxLength, int longestExample) {
    validate(spec, maxLength);
    String s = spec.trim().toLowerCase(Locale.ROOT);
    if (s.equals(AUTO)) {
      s = xla ? LONGEST : DOUBLING;
    }
    return switch (s) {
      case LONGEST -> LengthBuckets.fitting(Math.max(1, longestExample), maxLength, LENGTH_MULTIPLE);
      case DOUBLING -> LengthBuckets.upTo(maxLength);
      default -> LengthBuckets.parse(s, maxLength);
    };
  }

  /** The longest example of any of {@code sets}, in tokens. */
  public static int longestExample(EncodedDataset... sets) {
    int longest = 0;
    for (EncodedDataset set : sets) {
      longest = Math.max(longest, set.longestExample());
    }
    return longest;
  }

  /** Training batches: shuffled per epoch; under XLA every batch full. */
  public static BatchingOptions training(int batchSize, LengthBuckets buckets, long seed, boolean xla) {
    return BatchingOptions.training(batchSize, buckets, seed).withFullBatches(xla);
  }

  /** Evaluation batches: in file order; under XLA every batch full. */
  public static BatchingOptions evaluation(int batchSize, LengthBuckets buckets, boolean xla) {
    return BatchingOptions.evaluation(batchSize, buckets).withFullBatches(xla);
  }
}
