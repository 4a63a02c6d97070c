package dev.finetune.vblora.ops.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Seeded test values and element-wise comparisons with the index of the first mismatch in the message. */
public final class TestArrays {
  private TestArrays() {}

  /** U(lo, hi) values from a fixed seed. */
  public static double[] uniform(long seed, int n, double lo, double hi) {
    SplittableRandom random = new SplittableRandom(seed);
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = lo + (hi - lo) * random.nextDouble();
    }
    return v;
  }

  /**
   * Logits {@code [rows, h]} whose ranks within each row are a random permutation and whose neighbouring values
   * are at least {@code gap} apart, so that a top-k choice cannot flip under perturbations much smaller than gap.
   */
  public static double[] separatedLogits(long seed, int rows, int h, double gap) {
    SplittableRandom random = new SplittableRandom(seed);
    double[] v = new double[rows * h];
    for (int row = 0; row < rows; row++) {
      int[] order = permutation(random, h);
      for (int i = 0; i < h; i++) {
        // rank-spaced levels, jittered by at most gap/4, centred around 0
        v[row * h + order[i]] = gap * (i - (h - 1) / 2.0) + gap * 0.25 * (random.nextDouble() - 0.5);
      }
    }
    return v;
  }

  public static long size(long[] shape) {
    return Arrays.stream(shape).reduce(1, (a, b) -> a * b);
  }

  /** Largest |a_i - b_i|. */
  public static double maxAbsDiff(double[] a, double[] b) {
    assertEquals(a.length, b.length, "array lengths");
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs(a[i] - b[i]));
    }
    return max;
  }

  /** |actual_i - expected_i| <= tolerance for all i, else fails naming the first bad index. */
  public static void assertClose(double[] expected, double[] actual, double tolerance, String what) {
    assertEquals(expected.length, actual.length, what + ": number of elements");
    for (int i = 0; i < expected.length; i++) {
      if (!(Math.abs(expected[i] - actual[i]) <= tolerance)) {
        fail(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i] + " (tolerance "
            + tolerance + ", max abs diff " + maxAbsDiff(expected, actual) + ")");
      }
    }
  }

  private static int[] permutation(SplittableRandom random, int n) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
