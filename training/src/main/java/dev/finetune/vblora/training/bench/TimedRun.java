package dev.finetune.vblora.training.bench;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.training.device.PlacementCheck;
import dev.finetune.vblora.training.device.PlacementReport;
import dev.finetune.vblora.training.device.StepProfile;
import java.util.OptionalLong;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.types.TFloat32;

/**
 * One thing being timed: a runner prepared once (feeds, fetch of one scalar, targets) on a live session. A
 * step is the run call alone; the fetched scalar keeps device-to-host copies to four bytes.
 *
 * <p>A training run may also have a runner without the fetch: then a timed step is a group of {@code group}
 * steps, all but the last enqueued without a fetch (the host does not wait for the device between them), and
 * its time is the group's divided by its size. The calls without a fetch are timed apart as well: they return
 * once their step is queued (with TF_SYNC_ON_FINISH=0), so their time is the host's cost of a step, which sets
 * the pace when it is not below the device's.
 */
final class TimedRun {
  private final String method;
  private final BenchMode mode;
  private final Session.Runner runner;
  private final Session.Runner withoutFetch;
  private final int group;

  TimedRun(String method, BenchMode mode, Session.Runner runner) {
    this(method, mode, runner, runner, 1);
  }

  /** A run whose step is {@code group} steps: {@code group - 1} of {@code withoutFetch}, then {@code runner}. */
  TimedRun(String method, BenchMode mode, Session.Runner runner, Session.Runner withoutFetch, int group) {
    if (group < 1) {
      throw new VbLoraException("a timed group needs at least one step, got " + group);
    }
    this.method = method;
    this.mode = mode;
    this.runner = runner;
    this.withoutFetch = withoutFetch;
    this.group = group;
  }

  /**
   * The time of one timed step.
   *
   * @param nanos wall time per step: the group's divided by its size
   * @param enqueueNanos for a group of two or more, the host's time per call without a fetch; empty for one step
   *     that fetches, whose call always waits for the device
   */
  record StepTime(long nanos, OptionalLong enqueueNanos) {}

  /** Runs one step (or group) and returns its times per step. */
  StepTime step() {
    long start = System.nanoTime();
    for (int i = 1; i < group; i++) {
      withoutFetch.run().close();
    }
    long enqueued = System.nanoTime();
    runner.run().close(); // the fetched scalar is freed inside the timing: a real loop frees it too
    long end = System.nanoTime();
    return new StepTime((end - start) / group,
        group > 1 ? OptionalLong.of((enqueued - start) / (group - 1)) : OptionalLong.empty());
  }

  /** Runs one step and returns the fetched scalar (tests compare what different sessions compute). */
  float scalar() {
    try (Result result = runner.run()) {
      return ((TFloat32) result.get(0)).getFloat();
    }
  }

  /** One extra, untimed run that reports where the ops ran. */
  PlacementReport trace() {
    return PlacementCheck.trace(runner);
  }

  /** One extra, untimed, fully traced run: where its time went per op type and device. */
  StepProfile profile() {
    return PlacementCheck.profile(runner);
  }

  String method() {
    return method;
  }

  BenchMode mode() {
    return mode;
  }

  /** e.g. {@code train/vblora}. */
  String name() {
    return mode.label() + "/" + method;
  }
}
