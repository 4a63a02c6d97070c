package dev.finetune.vblora.training.bench;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** What one measurement times. */
public enum BenchMode {
  /** A training step: forward, loss, gradients, clipping and the AdamW update (the train op). */
  TRAIN,
  /** The adapted model's forward pass, no gradients. */
  FORWARD,
  /** The untouched model's graph with W + delta in its kernels: what a merged export serves. */
  MERGED,
  /** The untouched model, the reference for {@link #MERGED} and the only measurement of method none. */
  BASE;

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The measurements of a {@code --mode} value: train, forward, merged (merged and base, to compare) or all.
   */
  public static Set<BenchMode> parseSelection(String value) {
    switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "train":
        return EnumSet.of(TRAIN);
      case "forward":
        return EnumSet.of(FORWARD);
      case "merged":
        return EnumSet.of(MERGED, BASE);
      case "base":
        return EnumSet.of(BASE);
      case "all":
        return EnumSet.allOf(BenchMode.class);
      default:
        throw new VbLoraException("mode must be train, forward, merged, base or all, got '" + value + "'");
    }
  }
}
