package dev.finetune.vblora.data;

import dev.finetune.vblora.data.error.VbLoraException;

/**
 * Reproducible orders: the permutation for (seed, stream) is always the same, so that epoch e of a run
 * (stream = epoch) is shuffled identically whether the run got there in one go or was resumed.
 */
public final class SeededPermutation {
  private SeededPermutation() {}

  /** A permutation of 0..n-1 determined by {@code seed} and {@code stream} alone (Fisher-Yates). */
  public static int[] of(int n, long seed, long stream) {
    int[] order = identity(n);
    shuffle(order, SplitMix64.forStream(seed, stream));
    return order;
  }

  /** 0..n-1 in order. */
  public static int[] identity(int n) {
    if (n < 0) {
      throw new VbLoraException("cannot order " + n + " items");
    }
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    return order;
  }

  /** Shuffles {@code items} in place, reproducibly for (seed, stream). */
  public static void shuffle(int[] items, long seed, long stream) {
    shuffle(items, SplitMix64.forStream(seed, stream));
  }

  static void shuffle(int[] items, SplitMix64 random) {
    for (int i = items.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = items[i];
      items[i] = items[j];
      items[j] = t;
    }
  }
}
