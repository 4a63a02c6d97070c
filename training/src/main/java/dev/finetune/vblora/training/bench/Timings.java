package dev.finetune.vblora.training.bench;

import dev.finetune.vblora.data.error.InvalidSettingException;
import java.util.Arrays;

/**
 * Wall times of the timed steps of one measurement (warm-up excluded).
 *
 * @param medianMs median step time in milliseconds (mean of the middle two for an even count)
 * @param minMs fastest step
 * @param maxMs slowest step
 * @param meanMs mean step time
 * @param steps number of timed steps
 */
public record Timings(double medianMs, double minMs, double maxMs, double meanMs, int steps) {

  /** Summarises step durations in nanoseconds. */
  public static Timings ofNanos(long[] nanos) {
    if (nanos.length == 0) {
      throw new InvalidSettingException("steps", "no timed steps to summarise; use steps 1 or more");
    }
    double[] ms = Arrays.stream(nanos).mapToDouble(n -> n / 1e6).sorted().toArray();
    int n = ms.length;
    double median = n % 2 == 1 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2;
    return new Timings(median, ms[0], ms[n - 1], Arrays.stream(ms).average().orElseThrow(), n);
  }

  /** Examples per second at the median step time. */
  public double examplesPerSecond(int batchSize) {
    return batchSize * 1000.0 / medianMs;
  }
}
