package dev.finetune.vblora.data;

import dev.finetune.vblora.data.error.VbLoraException;

/**
 * Steele, Lea and Flood's SplitMix64 generator (the reference C code of Vigna's splitmix64.c). Ours rather
 * than java.util's, so that a seed gives the same shuffles in every JDK, and for every future run that
 * resumes this one.
 */
final class SplitMix64 {
  private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;
  private long state;

  SplitMix64(long seed) {
    this.state = seed;
  }

  /** A generator for one (seed, stream) pair, e.g. (run seed, epoch); nearby pairs give unrelated output. */
  static SplitMix64 forStream(long seed, long stream) {
    return new SplitMix64(mix(seed) ^ mix(stream * GOLDEN_GAMMA + 1));
  }

  long nextLong() {
    state += GOLDEN_GAMMA;
    return mix(state);
  }

  /** Uniform in [0, bound), without modulo bias. */
  int nextInt(int bound) {
    if (bound <= 0) {
      throw new VbLoraException("bound must be positive, got " + bound);
    }
    int u = (int) (nextLong() >>> 33);
    int r = u % bound;
    while (u - r + (bound - 1) < 0) { // u fell in the incomplete last block of size bound
      u = (int) (nextLong() >>> 33);
      r = u % bound;
    }
    return r;
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
