package dev.finetune.vblora.training.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Samples the GPU's used memory with {@code nvidia-smi --query-gpu=memory.used -lms 100} in the background
 * and keeps the peak. nvidia-smi counts every process on the GPU and, with allow_growth, TensorFlow's pool
 * as it grew (what the process holds, not what one step needed); the first sample, taken before the
 * measured sessions exist when started early, is reported as the baseline.
 */
public final class DeviceMemorySampler implements AutoCloseable {
  /** How the peak was measured, for reports. */
  public static final String SOURCE = "nvidia-smi --query-gpu=memory.used (whole GPU, sampled every 100 ms)";

  private final Process process;
  private final Thread reader;
  private final AtomicLong peakMb = new AtomicLong(-1);
  private final AtomicLong firstMb = new AtomicLong(-1);

  private DeviceMemorySampler(Process process) {
    this.process = process;
    this.reader = new Thread(this::read, "nvidia-smi-sampler");
    this.reader.setDaemon(true);
    this.reader.start();
  }

  /**
   * Starts sampling the GPU that TensorFlow calls GPU:0 (the first of CUDA_VISIBLE_DEVICES, else 0).
   *
   * @return empty when nvidia-smi cannot be started (not installed, no driver)
   */
  public static Optional<DeviceMemorySampler> start() {
    String index = Optional.ofNullable(System.getenv("CUDA_VISIBLE_DEVICES"))
        .map(v -> v.split(",")[0].trim()).filter(v -> !v.isEmpty()).orElse("0");
    try {
      Process process = new ProcessBuilder(List.of("nvidia-smi", "--query-gpu=memory.used",
          "--format=csv,noheader,nounits", "-i", index, "-lms", "100"))
          .redirectError(ProcessBuilder.Redirect.DISCARD)
          .start();
      return Optional.of(new DeviceMemorySampler(process));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private void read() {
    try (BufferedReader lines = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = lines.readLine()) != null) {
        parse(line).ifPresent(mb -> {
          firstMb.compareAndSet(-1, mb);
          peakMb.accumulateAndGet(mb, Math::max);
        });
      }
    } catch (IOException e) {
      // The process ended (close() or nvidia-smi failed): the peak so far stands.
    }
  }

  static OptionalLong parse(String line) {
    try {
      return OptionalLong.of(Long.parseLong(line.trim()));
    } catch (NumberFormatException e) {
      return OptionalLong.empty();
    }
  }

  /** The most MiB in use seen so far; empty before the first sample. */
  public OptionalLong peakMb() {
    long value = peakMb.get();
    return value < 0 ? OptionalLong.empty() : OptionalLong.of(value);
  }

  /** The first sample in MiB; empty before it. */
  public OptionalLong baselineMb() {
    long value = firstMb.get();
    return value < 0 ? OptionalLong.empty() : OptionalLong.of(value);
  }

  /** Waits up to {@code millis} for the first sample (so that the baseline precedes the sessions). */
  public void awaitFirstSample(long millis) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    while (firstMb.get() < 0 && process.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      process.waitFor(2, TimeUnit.SECONDS);
      reader.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
