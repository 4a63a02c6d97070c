package dev.finetune.vblora.training.optim;

import dev.finetune.vblora.data.error.VbLoraException;

/**
 * AdamW settings shared by all parameter groups (torch.optim.AdamW's names and defaults).
 *
 * @param beta1 decay of the first-moment average, in [0, 1)
 * @param beta2 decay of the second-moment average, in [0, 1)
 * @param epsilon added to the bias-corrected root of the second moment (> 0)
 * @param maxGradNorm clip the global L2 norm of all gradients to this value before the update, exactly like
 *     torch.nn.utils.clip_grad_norm_; 0 turns clipping off (as Hugging Face's max_grad_norm does)
 */
public record AdamWConfig(double beta1, double beta2, double epsilon, double maxGradNorm) {

  public AdamWConfig {
    requireBeta("beta1", beta1);
    requireBeta("beta2", beta2);
    if (!(epsilon > 0) || Double.isInfinite(epsilon)) {
      throw new VbLoraException("AdamW epsilon " + epsilon + " must be a finite number > 0");
    }
    if (!(maxGradNorm >= 0) || Double.isInfinite(maxGradNorm)) {
      throw new VbLoraException("max gradient norm " + maxGradNorm
          + " must be a finite number >= 0 (0 turns clipping off)");
    }
  }

  /** beta1 0.9, beta2 0.999, epsilon 1e-8, clipping at global norm 1.0. */
  public static AdamWConfig defaults() {
    return new AdamWConfig(0.9, 0.999, 1e-8, 1.0);
  }

  public AdamWConfig withMaxGradNorm(double value) {
    return new AdamWConfig(beta1, beta2, epsilon, value);
  }

  public boolean clipping() {
    return maxGradNorm > 0;
  }

  private static void requireBeta(String name, double value) {
    if (!(value >= 0 && value < 1)) {
      throw new VbLoraException("AdamW " + name + " " + value + " must be in [0, 1)");
    }
  }
}
