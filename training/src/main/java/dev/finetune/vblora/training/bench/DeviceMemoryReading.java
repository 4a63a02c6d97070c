package dev.finetune.vblora.training.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * The GPU's used memory as {@code nvidia-smi --query-gpu=memory.used} reports it, read once. The benchmark reads
 * it before its sessions exist (baseline) and after the last step: TensorFlow's GPU pool only grows (with
 * allow_growth it takes memory as needed and never gives it back), so the last reading is the process's peak.
 * Nothing polls the driver while steps are timed: nvidia-smi queries take driver locks and put hiccups into the
 * very step times being measured.
 */
public final class DeviceMemoryReading {
  /** How the figure was measured, for reports. */
  public static final String SOURCE = "nvidia-smi --query-gpu=memory.used (whole GPU) before the sessions and "
      + "after the last step; TensorFlow's GPU pool only grows, so the last reading is its peak";

  private DeviceMemoryReading() {}

  /**
   * MiB in use on the GPU that TensorFlow calls GPU:0 (the first of CUDA_VISIBLE_DEVICES, else 0).
   *
   * @return empty when nvidia-smi cannot be run (not installed, no driver) or says something else
   */
  public static OptionalLong readMb() {
    String index = Optional.ofNullable(System.getenv("CUDA_VISIBLE_DEVICES"))
        .map(v -> v.split(",")[0].trim()).filter(v -> !v.isEmpty()).orElse("0");
    try {
      Process process = new ProcessBuilder(List.of("nvidia-smi", "--query-gpu=memory.used",
          "--format=csv,noheader,nounits", "-i", index))
          .redirectError(ProcessBuilder.Redirect.DISCARD)
          .start();
      try (BufferedReader lines = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line = lines.readLine();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          return OptionalLong.empty();
        }
        return line == null ? OptionalLong.empty() : parse(line);
      }
    } catch (IOException e) {
      return OptionalLong.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return OptionalLong.empty();
    }
  }

  static OptionalLong parse(String line) {
    try {
      return OptionalLong.of(Long.parseLong(line.trim()));
    } catch (NumberFormatException e) {
      return OptionalLong.empty();
    }
  }
}
