package dev.finetune.vblora.training.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * The process's resident memory from {@code /proc/self/status} (Linux): VmHWM is the peak resident set since
 * the start, which includes TensorFlow's native allocations that the JVM's own counters do not see.
 */
public final class HostMemory {
  private static final Path STATUS = Path.of("/proc/self/status");

  private HostMemory() {}

  /** Peak resident set size in bytes; empty where /proc is not available. */
  public static OptionalLong peakResidentBytes() {
    return field("VmHWM:");
  }

  /** Current resident set size in bytes; empty where /proc is not available. */
  public static OptionalLong residentBytes() {
    return field("VmRSS:");
  }

  private static OptionalLong field(String name) {
    try {
      for (String line : Files.readAllLines(STATUS)) {
        if (line.startsWith(name)) {
          return OptionalLong.of(parseKiloBytes(line.substring(name.length())) * 1024L);
        }
      }
      return OptionalLong.empty();
    } catch (IOException | RuntimeException e) {
      return OptionalLong.empty();
    }
  }

  /** "   123456 kB" -> 123456. */
  static long parseKiloBytes(String value) {
    String trimmed = value.trim();
    int space = trimmed.indexOf(' ');
    return Long.parseLong(space < 0 ? trimmed : trimmed.substring(0, space));
  }
}
