package dev.finetune.vblora.training.bench;

import dev.finetune.vblora.training.device.PlacementReport;

/**
 * The timings of one measured thing.
 *
 * @param method adapter label ({@code vblora}, {@code lora}) or {@code none}
 * @param mode what was timed
 * @param timings step times, warm-up excluded
 * @param examplesPerSecond batch size over the median step time
 * @param placement where the ops of one extra traced step ran
 */
public record Measurement(String method, BenchMode mode, Timings timings, double examplesPerSecond,
    PlacementReport placement) {

  /** e.g. {@code train/vblora}. */
  public String name() {
    return mode.label() + "/" + method;
  }
}
