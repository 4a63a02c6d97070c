package dev.finetune.vblora.training.timing;

import java.util.EnumMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Adds up the wall time of a run's {@link Phase}s, and the XLA compilations TensorFlow reported, from the
 * process start to the last artifact. Compilation happens inside the first session call of each new batch
 * shape; the caller records it with {@link #compiled} and the clock takes it out of the phase that made the
 * call, so the phases never count a second twice. Not thread-safe: the loop's thread records everything.
 */
public final class RunClock {
  private final LongSupplier nanoClock;
  private final long processStartNanos;
  private final Map<Phase, Long> nanos = new EnumMap<>(Phase.class);
  private int compilations;
  private int cachedCompilations;

  /**
   * @param nanoClock e.g. System::nanoTime
   * @param processStartNanos the process start on {@code nanoClock}'s scale (see {@link #sinceProcessStart})
   */
  public RunClock(LongSupplier nanoClock, long processStartNanos) {
    this.nanoClock = nanoClock;
    this.processStartNanos = processStartNanos;
    for (Phase phase : Phase.values()) {
      nanos.put(phase, 0L);
    }
  }

  /**
   * A clock whose start is this process's start (as the operating system recorded it), so that the total is
   * what the user waited; the time until now is booked as {@link Phase#STARTUP}.
   */
  public static RunClock sinceProcessStart() {
    long now = System.nanoTime();
    long sinceStart = ProcessStart.nanosAgo();
    RunClock clock = new RunClock(System::nanoTime, now - sinceStart);
    clock.add(Phase.STARTUP, sinceStart);
    return clock;
  }

  /** The current reading, for {@link #since}. */
  public long now() {
    return nanoClock.getAsLong();
  }

  /** Books the time from {@code startNanos} (a {@link #now} reading) to now to {@code phase}. */
  public void since(Phase phase, long startNanos) {
    add(phase, now() - startNanos);
  }

  /** Books {@code elapsedNanos} to {@code phase}. */
  public void add(Phase phase, long elapsedNanos) {
    nanos.merge(phase, Math.max(0, elapsedNanos), Long::sum);
  }

  /**
   * Records compilations that happened inside time already booked (or about to be booked) to {@code phase}:
   * their time moves from {@code phase} to {@link Phase#COMPILE}.
   *
   * @param count compilations
   * @param fromCache how many of them were loads from the persistent compilation cache
   */
  public void compiled(Phase phase, int count, int fromCache, long compileNanos) {
    compilations += count;
    cachedCompilations += fromCache;
    long moved = Math.max(0, compileNanos);
    nanos.merge(Phase.COMPILE, moved, Long::sum);
    nanos.merge(phase, -moved, Long::sum);
  }

  /**
   * Records compilations that ran on another thread beside the phases (e.g. evaluation's shape compiled during
   * the first training steps): counted, and their time added to {@link Phase#COMPILE} without taking it from any
   * phase, so the phases then add up to more than the total by that time.
   */
  public void compiledAside(int count, int fromCache, long compileNanos) {
    compilations += count;
    cachedCompilations += fromCache;
    nanos.merge(Phase.COMPILE, Math.max(0, compileNanos), Long::sum);
  }

  /** Seconds booked to {@code phase} so far. */
  public double seconds(Phase phase) {
    return nanos.get(phase) / 1e9;
  }

  /** Seconds from the process start to now. */
  public double totalSeconds() {
    return (now() - processStartNanos) / 1e9;
  }

  /** The figures so far. */
  public RunTimings snapshot() {
    Map<Phase, Double> seconds = new EnumMap<>(Phase.class);
    for (Phase phase : Phase.values()) {
      seconds.put(phase, seconds(phase));
    }
    return new RunTimings(totalSeconds(), seconds, compilations, cachedCompilations);
  }
}
