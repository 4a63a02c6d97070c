package dev.finetune.vblora.training.device;

import java.util.List;
import java.util.Map;

/**
 * Where the ops of one traced run executed, read from the partition graphs TensorFlow actually ran.
 *
 * @param opsPerDevice device name (e.g. {@code /job:localhost/replica:0/task:0/device:GPU:0}) to op count
 * @param hostComputeOps ops that computed on a CPU device while a GPU device took part in the run, as
 *     {@code name (OpType)}; empty on a CPU-only run. Feeds, fetches, transfers, constants and no-ops are
 *     left out: they are the run's edges, not a fallback
 * @param transfers _Send/_Recv pairs between devices (each tensor crossing host and device once per run
 *     counts as one)
 * @param xlaClusters XLA programs that ran (_XlaRun ops, and whole-step calls: see {@link
 *     dev.finetune.vblora.model.XlaLaunchStep}); 0 means XLA did not compile anything
 * @param allocatorPeakBytes per allocator (e.g. {@code GPU_0_bfc}), the most bytes in use it reported at the end
 *     of an op of the run; allocators that do not track usage (TensorFlow's CPU allocators) are absent. Memory an
 *     op allocates and frees within itself is not seen: under XLA that is the cluster's temporaries
 * @param reducedPrecisionOps ops computing in float16 or bfloat16 (casts included): 0 unless a mixed-precision
 *     rewrite took effect
 */
public record PlacementReport(Map<String, Integer> opsPerDevice, List<String> hostComputeOps, int transfers,
    int xlaClusters, Map<String, Long> allocatorPeakBytes, int reducedPrecisionOps) {

  public PlacementReport {
    opsPerDevice = Map.copyOf(opsPerDevice);
    hostComputeOps = List.copyOf(hostComputeOps);
    allocatorPeakBytes = Map.copyOf(allocatorPeakBytes);
  }

  /** Whether any GPU device ran ops. */
  public boolean usedGpu() {
    return opsPerDevice.keySet().stream().anyMatch(PlacementReport::isGpu);
  }

  /** The biggest peak among GPU allocators, 0 when none reported one. */
  public long gpuAllocatorPeakBytes() {
    return allocatorPeakBytes.entrySet().stream()
        .filter(e -> e.getKey().toUpperCase(java.util.Locale.ROOT).contains("GPU"))
        .mapToLong(Map.Entry::getValue).max().orElse(0L);
  }

  static boolean isGpu(String device) {
    return device.toUpperCase(java.util.Locale.ROOT).contains("/DEVICE:GPU:");
  }

  static boolean isCpu(String device) {
    return device.toUpperCase(java.util.Locale.ROOT).contains("/DEVICE:CPU:");
  }
}
