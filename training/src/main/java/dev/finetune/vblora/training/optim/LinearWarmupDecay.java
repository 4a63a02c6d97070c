package dev.finetune.vblora.training.optim;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.training.TrainingDefaults;

/**
 * Linear warmup from 0 to the peak learning rate, then linear decay to 0: the multiplier Hugging Face's
 * get_linear_schedule_with_warmup applies, with warmup steps = ceil(warmupRatio * totalSteps) as in its
 * TrainingArguments. Step 0 is the first optimizer step, so with warmup the first update has multiplier 0,
 * exactly as there.
 *
 * @param warmupRatio fraction of the total steps spent warming up, in [0, 1)
 */
public record LinearWarmupDecay(double warmupRatio) {

  /** The GLUE setting of the VB-LoRA paper. */
  public static final double DEFAULT_WARMUP_RATIO = TrainingDefaults.WARMUP_RATIO;

  public LinearWarmupDecay {
    if (!(warmupRatio >= 0 && warmupRatio < 1)) {
      throw new VbLoraException("warmup ratio " + warmupRatio + " must be in [0, 1)");
    }
  }

  public static LinearWarmupDecay defaults() {
    return new LinearWarmupDecay(DEFAULT_WARMUP_RATIO);
  }

  public long warmupSteps(long totalSteps) {
    requireTotal(totalSteps);
    return (long) Math.ceil(warmupRatio * totalSteps);
  }

  /** The learning-rate multiplier for 0-based optimizer step {@code step} of {@code totalSteps}. */
  public double multiplier(long step, long totalSteps) {
    requireTotal(totalSteps);
    if (step < 0) {
      throw new VbLoraException("step " + step + " must be >= 0");
    }
    long warmup = warmupSteps(totalSteps);
    if (step < warmup) {
      return (double) step / Math.max(1, warmup);
    }
    return Math.max(0.0, (double) (totalSteps - step) / Math.max(1, totalSteps - warmup));
  }

  private static void requireTotal(long totalSteps) {
    if (totalSteps <= 0) {
      throw new VbLoraException("total steps " + totalSteps + " must be > 0");
    }
  }
}
