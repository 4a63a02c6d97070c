package dev.finetune.vblora.model;

import dev.finetune.vblora.data.error.InvalidSettingException;

/**
 * The LoRA baseline's hyperparameters (PEFT LoraConfig names: r, lora_alpha, lora_dropout).
 *
 * @param rank r
 * @param alpha lora_alpha; the update is scaled by alpha / r
 * @param dropout dropout on the adapter's input during training
 * @param seed seed of the initial down projection (the up projection starts at zero, as in PEFT)
 */
public record LoraConfig(int rank, double alpha, double dropout, long seed) {
  public LoraConfig {
    if (rank < 1) {
      throw new InvalidSettingException("rank", "rank (PEFT's r) must be at least 1, got " + rank);
    }
    if (!(alpha > 0)) {
      throw new InvalidSettingException("loraAlpha", "loraAlpha must be positive, got " + alpha);
    }
    if (dropout < 0 || dropout >= 1) {
      throw new InvalidSettingException("loraDropout", "loraDropout must be in [0, 1), got " + dropout);
    }
  }

  /**
   * The defaults: lora_alpha 16, lora_dropout 0, and the rank and seed of {@link VbLoraConfig#builder()}'s
   * defaults, because both methods share one --rank and one --seed.
   */
  public static LoraConfig defaults() {
    VbLoraConfig shared = VbLoraConfig.builder().build();
    return new LoraConfig(shared.rank(), 16, 0.0, shared.seed());
  }

  /** A copy with another rank. */
  public LoraConfig withRank(int value) {
    return new LoraConfig(value, alpha, dropout, seed);
  }

  /** A copy with another lora_alpha. */
  public LoraConfig withAlpha(double value) {
    return new LoraConfig(rank, value, dropout, seed);
  }

  /** A copy with another lora_dropout. */
  public LoraConfig withDropout(double value) {
    return new LoraConfig(rank, alpha, value, seed);
  }

  /** A copy with another seed. */
  public LoraConfig withSeed(long value) {
    return new LoraConfig(rank, alpha, dropout, value);
  }

  /** alpha / r, PEFT's scaling of the low-rank update. */
  public double scaling() {
    return alpha / rank;
  }
}
