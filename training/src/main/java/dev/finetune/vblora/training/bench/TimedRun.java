package dev.finetune.vblora.training.bench;

import dev.finetune.vblora.training.device.PlacementCheck;
import dev.finetune.vblora.training.device.PlacementReport;
import dev.finetune.vblora.training.device.StepProfile;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.types.TFloat32;

/**
 * One thing being timed: a runner prepared once (feeds, fetch of one scalar, targets) on a live session. A
 * step is the run call alone; the fetched scalar keeps device-to-host copies to four bytes.
 */
final class TimedRun {
  private final String method;
  private final BenchMode mode;
  private final Session.Runner runner;

  TimedRun(String method, BenchMode mode, Session.Runner runner) {
    this.method = method;
    this.mode = mode;
    this.runner = runner;
  }

  /** Runs one step and returns its wall time in nanoseconds. */
  long step() {
    long start = System.nanoTime();
    runner.run().close(); // the fetched scalar is freed inside the timing: a real loop frees it too
    return System.nanoTime() - start;
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
