package dev.finetune.vblora.training.bench;

import dev.finetune.vblora.model.AdapterPlan;
import java.util.Optional;

/**
 * One adapter configuration to measure, or none (the untouched model).
 *
 * @param label how reports name it, e.g. {@code vblora} or {@code lora}
 * @param plan the adapter; empty for the untouched model
 */
public record BenchMethod(String label, Optional<AdapterPlan> plan) {
  public static final String NONE = "none";

  public static BenchMethod none() {
    return new BenchMethod(NONE, Optional.empty());
  }

  public static BenchMethod of(String label, AdapterPlan plan) {
    return new BenchMethod(label, Optional.of(plan));
  }

  public boolean untouched() {
    return plan.isEmpty();
  }
}
