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
 * its time is the group's divided by its size. The group's first call is also timed apart: it starts after the
 * previous group's fetch, with the device idle and nothing queued, and returns once its step is queued (with
 * TF_SYNC_ON_FINISH=0), so its time is the host's own cost of a step. Later calls may also wait for a full queue.
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
   * @param enqueueNanos for a group of two or more, the time of its first call, which queues one step without a
   *     fetch; empty for one step that fetches, whose call always waits for the device
   */
  record StepTime(long nanos, OptionalLong enqueueNanos) {}

  /** Runs one step (or group) and returns its times. */
  StepTime step() {
    long start = System.nanoTime();
    long firstQueued = start;
    for (int i = 1; i < group; i++) {
      withoutFetch.run().close();
      if (i == 1) {
        firstQueued = System.nanoTime();
      }
    }
    runner.run().close(); // the fetched scalar is freed inside the timing: a real loop frees it too
    long end = System.nanoTime();
    return new StepTime((end - start) / group,
        queuesSteps() ? OptionalLong.of(firstQueued - start) : OptionalLong.empty());
  }

  /** Whether a timed step queues steps without a fetch (a group of two or more). */
  boolean queuesSteps() {
    return group > 1;
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
