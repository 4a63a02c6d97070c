package dev.finetune.vblora.ops;

/**
 * The sizes of a plain LoRA adapter (the baseline), PEFT's LoraConfig names in brackets.
 *
 * @param rank r, the rank of every adapted layer's update (r)
 * @param alpha the numerator of the update's scaling alpha / r (lora_alpha)
 */
public record LoraDims(int rank, double alpha) {

  public LoraDims {
    if (rank < 1) {
      throw new IllegalArgumentException("r must be at least 1, got " + rank);
    }
    if (!(alpha > 0) || Double.isInfinite(alpha)) {
      throw new IllegalArgumentException("lora_alpha must be a positive finite number, got " + alpha);
    }
  }

  /** PEFT's LoRA scaling alpha / r, to pass to {@link LowRankUpdate} and {@link DeltaWeight}. */
  public double scaling() {
    return alpha / rank;
  }

  /** Shape of the down factor {@code [in, r]} (PEFT's lora_A weight, transposed). */
  public long[] downShape(LayerShape s) {
    return new long[] {s.inFeatures(), rank};
  }

  /** Shape of the up factor {@code [r, out]} (PEFT's lora_B weight, transposed). */
  public long[] upShape(LayerShape s) {
    return new long[] {rank, s.outFeatures()};
  }
}
