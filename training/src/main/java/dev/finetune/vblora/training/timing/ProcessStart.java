package dev.finetune.vblora.training.timing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.OptionalLong;

/**
 * How long ago this process started, as the operating system recorded it: what a user who typed the command has
 * waited when the run ends.
 *
 * <p>Why not just ProcessHandle's start instant: on Linux the JDK builds it from the boot time in /proc/stat,
 * which has whole seconds, so a run's total could come out up to a second long (measured: 2.84 s reported for a run
 * that took 2.67 s from outside). Linux's own counters need no wall clock: the process started {@code starttime}
 * clock ticks after boot (/proc/self/stat) and the machine has been up {@code /proc/uptime} seconds, both on the
 * same boot-time clock, to 10 ms.
 */
final class ProcessStart {
  /** Linux's USER_HZ, the unit of /proc's tick counts: 100 on every architecture's ABI. */
  private static final long TICKS_PER_SECOND = 100;

  private ProcessStart() {}

  /** ProcessHandle's estimate may be off by this much (whole-second boot time, clock adjustments). */
  private static final long HANDLE_ERROR_NANOS = 2_000_000_000L;

  /** Nanoseconds since this process started; 0 where neither way of knowing works. */
  static long nanosAgo() {
    OptionalLong handle = ProcessHandle.current().info().startInstant()
        .map(start -> Duration.between(start, Instant.now()).toNanos())
        .filter(d -> d >= 0)
        .map(OptionalLong::of).orElse(OptionalLong.empty());
    OptionalLong proc = fromProc(Path.of("/proc/self/stat"), Path.of("/proc/uptime"));
    // A container may show its own uptime while starttime counts from the host's boot: trust /proc only where it
    // agrees with ProcessHandle to within that estimate's own error.
    if (proc.isPresent()
        && (handle.isEmpty() || Math.abs(proc.getAsLong() - handle.getAsLong()) <= HANDLE_ERROR_NANOS)) {
      return proc.getAsLong();
    }
    return handle.orElse(0L);
  }

  /** From Linux's /proc files: uptime minus the process's start tick, or empty where they cannot be read. */
  static OptionalLong fromProc(Path stat, Path uptime) {
    try {
      String statLine = Files.readString(stat, StandardCharsets.UTF_8);
      // Field 2 is the command in parentheses and may hold spaces; starttime is field 22, the 20th after it.
      String[] fields = statLine.substring(statLine.lastIndexOf(')') + 2).trim().split(" ");
      long startTicks = Long.parseLong(fields[19]);
      String up = Files.readString(uptime, StandardCharsets.UTF_8).trim().split("\\s+")[0];
      long upNanos = Math.round(Double.parseDouble(up) * 1e9);
      long ago = upNanos - startTicks * (1_000_000_000L / TICKS_PER_SECOND);
      return ago >= 0 ? OptionalLong.of(ago) : OptionalLong.empty();
    } catch (IOException | RuntimeException e) {
      return OptionalLong.empty(); // not Linux, or /proc not mounted: the caller falls back
    }
  }
}
