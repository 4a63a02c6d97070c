package dev.finetune.vblora.model;

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
      throw new IllegalArgumentException("r (rank) must be at least 1, got " + rank);
    }
    if (!(alpha > 0)) {
      throw new IllegalArgumentException("lora_alpha must be positive, got " + alpha);
    }
    if (dropout < 0 || dropout >= 1) {
      throw new IllegalArgumentException("lora_dropout must be in [0, 1), got " + dropout);
    }
  }

  /** alpha / r, PEFT's scaling of the low-rank update. */
  public double scaling() {
    return alpha / rank;
  }
}
