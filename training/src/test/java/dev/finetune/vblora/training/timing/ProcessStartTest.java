package dev.finetune.vblora.training.timing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessStartTest {
  @TempDir
  Path dir;

  /** starttime is field 22 of /proc/PID/stat, counted after a command that may hold spaces and parentheses. */
  @Test
  void theStartIsUptimeMinusTheStartTickOfProcStat() throws IOException {
    StringBuilder stat = new StringBuilder("4242 (java (my tool) x) S 1 4242 4242 0 -1 4194560");
    for (int field = 10; field <= 21; field++) {
      stat.append(' ').append(field * 11);
    }
    stat.append(" 500 123456789 2000\n"); // starttime 500 ticks = 5 s after boot
    Path statFile = Files.writeString(dir.resolve("stat"), stat.toString());
    Path uptime = Files.writeString(dir.resolve("uptime"), "12.34 45.67\n");
    assertEquals(OptionalLong.of(7_340_000_000L), ProcessStart.fromProc(statFile, uptime));
  }

  @Test
  void unreadableOrForeignFilesGiveNothing() throws IOException {
    Path garbage = Files.writeString(dir.resolve("stat"), "not a stat line");
    Path uptime = Files.writeString(dir.resolve("uptime"), "12.34 45.67\n");
    assertTrue(ProcessStart.fromProc(garbage, uptime).isEmpty());
    assertTrue(ProcessStart.fromProc(dir.resolve("missing"), uptime).isEmpty());
  }

  /**
   * On Linux this JVM's own start: no later than the JVM's start (which follows the process's exec), and within
   * the second that loading the JVM takes before it; ProcessHandle's instant could be off by up to a second.
   */
  @Test
  void onLinuxThisProcessStartedJustBeforeItsJvm() {
    OptionalLong fromProc = ProcessStart.fromProc(Path.of("/proc/self/stat"), Path.of("/proc/uptime"));
    long jvmUptimeNanos = ManagementFactory.getRuntimeMXBean().getUptime() * 1_000_000L;
    if (!Files.exists(Path.of("/proc/self/stat"))) {
      assertTrue(fromProc.isEmpty(), "no /proc here, and nothing read from it");
      return;
    }
    long ago = fromProc.orElseThrow();
    assertTrue(ago >= jvmUptimeNanos - 20_000_000L, ago + " ns since the process started, " + jvmUptimeNanos
        + " since the JVM did");
    assertTrue(ago < jvmUptimeNanos + 2_000_000_000L, ago + " against the JVM's " + jvmUptimeNanos);
  }
}
