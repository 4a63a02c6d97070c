package dev.finetune.vblora.training.bench;

import dev.finetune.vblora.training.device.PlacementReport;
import java.util.Objects;
import java.util.Optional;

/**
 * The timings of one measured thing.
 *
 * @param method adapter label ({@code vblora}, {@code lora}) or {@code none}
 * @param mode what was timed
 * @param timings step times, warm-up excluded
 * @param examplesPerSecond batch size over the median step time
 * @param placement where the ops of one extra traced step ran
 * @param enqueue with {@code --sync-every} above 1: the time of each group's first call, which queues one training
 *     step without a fetch while the device is idle (it returns once the step is queued when TF_SYNC_ON_FINISH=0):
 *     the host's own cost of a step. Close to {@code timings} when the host sets the pace, well below it when the
 *     device does
 */
public record Measurement(String method, BenchMode mode, Timings timings, double examplesPerSecond,
    PlacementReport placement, Optional<Timings> enqueue) {

  public Measurement {
    Objects.requireNonNull(enqueue, "enqueue");
  }

  /** e.g. {@code train/vblora}. */
  public String name() {
    return mode.label() + "/" + method;
  }
}
