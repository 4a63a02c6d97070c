package dev.finetune.vblora.training.head;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.Random;

/**
 * BERT's kernel initializer, tf.truncated_normal_initializer(stddev): normal samples, redrawn when more
 * than two standard deviations from the mean. Drawn in Java from a seeded java.util.Random, so a given
 * seed gives the same head on every machine, CPU or GPU.
 */
public final class TruncatedNormalInit {
  /** BERT's initializer_range. */
  public static final double BERT_STDDEV = 0.02;

  private TruncatedNormalInit() {}

  public static float[] sample(int count, double stddev, long seed) {
    if (!(stddev > 0) || Double.isInfinite(stddev)) {
      throw new VbLoraException("initializer stddev " + stddev + " must be a finite number > 0");
    }
    Random random = new Random(seed);
    float[] values = new float[count];
    for (int i = 0; i < count; i++) {
      double z;
      do {
        z = random.nextGaussian();
      } while (Math.abs(z) > 2);
      values[i] = (float) (z * stddev);
    }
    return values;
  }
}
