package dev.finetune.vblora.data.batch;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * The few sequence lengths a batch may be padded to. Padding each batch only to the smallest bucket that
 * holds its longest example saves most of the work on short texts, while the graph sees a handful of
 * shapes instead of one per batch (each new shape may cost a recompilation under XLA).
 */
public final class LengthBuckets {
  private final int[] lengths;

  private LengthBuckets(int[] lengths) {
    this.lengths = lengths;
  }

  /** Buckets of exactly these lengths (any order; at least one, all positive). */
  public static LengthBuckets of(int... lengths) {
    int[] sorted = IntStream.of(lengths).sorted().distinct().toArray();
    if (sorted.length == 0 || sorted[0] <= 0) {
      throw new VbLoraException("length buckets must be positive and at least one, got "
          + Arrays.toString(lengths));
    }
    return new LengthBuckets(sorted);
  }

  /** 16, 32, 64, ... doubling while below {@code maxLength}, and {@code maxLength} itself. */
  public static LengthBuckets upTo(int maxLength) {
    if (maxLength <= 0) {
      throw new VbLoraException("max length must be positive, got " + maxLength);
    }
    IntStream.Builder lengths = IntStream.builder();
    for (int b = 16; b < maxLength; b *= 2) {
      lengths.add(b);
    }
    lengths.add(maxLength);
    return of(lengths.build().toArray());
  }

  /**
   * One bucket for data whose longest example has {@code longest} tokens: that length rounded up to a multiple
   * of {@code multiple} (tensor cores and XLA's tiling like multiples of 8), at most {@code maxLength}. One
   * bucket means one batch shape, and so one compilation on an XLA device, at the price of padding short
   * batches to the longest example.
   */
  public static LengthBuckets fitting(int longest, int maxLength, int multiple) {
    if (longest <= 0 || maxLength <= 0 || multiple <= 0) {
      throw new VbLoraException("longest example, max length and multiple must be positive, got "
          + longest + ", " + maxLength + ", " + multiple);
    }
    int rounded = (int) Math.min((long) maxLength, ((long) longest + multiple - 1) / multiple * multiple);
    return of(rounded);
  }

  /**
   * Buckets as a user writes them: "16,32,64" (each at most {@code maxLength}; {@code maxLength} is added when
   * the largest is below it, so that every example fits).
   */
  public static LengthBuckets parse(String lengths, int maxLength) {
    String[] parts = lengths.split(",");
    int[] values = new int[parts.length + 1];
    for (int i = 0; i < parts.length; i++) {
      try {
        values[i] = Integer.parseInt(parts[i].trim());
      } catch (NumberFormatException e) {
        throw new VbLoraException("length buckets are comma-separated token counts such as 32,64; '"
            + parts[i].trim() + "' is not a number", e);
      }
      if (values[i] <= 0 || values[i] > maxLength) {
        throw new VbLoraException("length bucket " + values[i] + " must be between 1 and the max length "
            + maxLength);
      }
    }
    values[parts.length] = maxLength;
    return of(values);
  }

  /** The smallest bucket that holds {@code length} tokens. */
  public int paddedLength(int length) {
    for (int b : lengths) {
      if (length <= b) {
        return b;
      }
    }
    throw new VbLoraException("a sequence of " + length + " tokens is longer than the largest bucket "
        + max() + "; encode with a max length of at most " + max());
  }

  public int max() {
    return lengths[lengths.length - 1];
  }

  public int[] lengths() {
    return lengths.clone();
  }

  @Override
  public String toString() {
    return Arrays.toString(lengths);
  }
}
