package dev.finetune.vblora.training.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalDouble;

/** The one-minute load average from {@code /proc/loadavg}: timings on a shared machine need it beside them. */
final class HostLoad {
  private HostLoad() {}

  static OptionalDouble oneMinute() {
    try {
      String text = Files.readString(Path.of("/proc/loadavg")).trim();
      return OptionalDouble.of(Double.parseDouble(text.split("\\s+")[0]));
    } catch (IOException | RuntimeException e) {
      return OptionalDouble.empty();
    }
  }
}
