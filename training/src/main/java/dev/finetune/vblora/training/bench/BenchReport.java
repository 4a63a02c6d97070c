package dev.finetune.vblora.training.bench;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.model.AppliedUpdateForms;
import dev.finetune.vblora.training.StepLaunch;
import dev.finetune.vblora.training.device.DeviceOptions;
import dev.finetune.vblora.training.device.PlacementReport;
import dev.finetune.vblora.training.device.StepProfile;
import dev.finetune.vblora.training.device.SyncOnFinish;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * What {@code vblora bench} measured. The first measurement is the headline one ({@code step_ms} and
 * {@code examples_per_s} of docs/cli.md's JSON); every measurement is also listed with its median relative to
 * the headline one, so that ratios from one interleaved run can be read off directly.
 *
 * @param model the model's folder or name
 * @param settings batch, length, steps, device
 * @param measurements in the order they were set up: per adapter train, forward, merged; then base
 * @param trainableParams per adapter label, adapter plus head parameters
 * @param updateForms per adapter label whose training graph was built, the update form each kernel got
 * @param peakRssMb the process's peak resident set (VmHWM), MiB; empty where /proc is missing
 * @param peakDeviceMb the GPU's peak used memory, MiB; empty on CPU or without nvidia-smi
 * @param deviceBaselineMb the GPU's used memory before the sessions were opened, MiB
 * @param deviceMemorySource how {@code peakDeviceMb} was measured
 * @param xlaEffective whether any measurement ran XLA clusters (false when XLA was asked for on a CPU
 *     without TF_XLA_FLAGS=--tf_xla_cpu_global_jit)
 * @param loadAverage the host's one-minute load average at the end, when known (shared machines)
 * @param profile with {@code --profile}: one traced step of the primary measurement per op type and device
 * @param stepLaunch how the training steps ran: the launch asked for, unless the step could not run as one program
 *     (see {@link dev.finetune.vblora.training.StagedSteps#launchRefusal}); clustered without a training step
 */
public record BenchReport(String model, BenchSettings settings, List<Measurement> measurements,
    Map<String, Long> trainableParams, Map<String, AppliedUpdateForms> updateForms, OptionalDouble peakRssMb, OptionalDouble peakDeviceMb,
    OptionalDouble deviceBaselineMb, Optional<String> deviceMemorySource, boolean xlaEffective,
    OptionalDouble loadAverage, Optional<StepProfile> profile, StepLaunch stepLaunch) {

  /** How many host compute ops of a GPU run the JSON lists by name. */
  private static final int LISTED_HOST_OPS = 25;
  /** How many op types the profile lists. */
  private static final int PROFILED_OPS = 15;
  /** How many kernels the profile lists. */
  private static final int PROFILED_KERNELS = 25;

  public BenchReport {
    measurements = List.copyOf(measurements);
    trainableParams = Map.copyOf(trainableParams);
    updateForms = Collections.unmodifiableMap(new LinkedHashMap<>(updateForms));
    if (measurements.isEmpty()) {
      throw new VbLoraException("a bench report needs at least one measurement");
    }
  }

  /** The headline measurement. */
  public Measurement primary() {
    return measurements.get(0);
  }

  /** A measurement by name ({@code train/vblora}), if it was taken. */
  public Optional<Measurement> measurement(String name) {
    return measurements.stream().filter(m -> m.name().equals(name)).findFirst();
  }

  /** The JSON document of {@code vblora bench --json} (docs/cli.md keys first). */
  public Map<String, Object> toJsonObject() {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("step_ms", stepMs(primary().timings()));
    primary().enqueue().ifPresent(t -> json.put("enqueue_ms", stepMs(t)));
    json.put("examples_per_s", round(primary().examplesPerSecond()));
    peakRssMb.ifPresent(v -> json.put("peak_rss_mb", round(v)));
    peakDeviceMb.ifPresent(v -> json.put("peak_device_mb", round(v)));
    json.put("primary", primary().name());
    DeviceOptions device = settings.device();
    Map<String, Object> setup = new LinkedHashMap<>();
    setup.put("model", model);
    setup.put("batch_size", (long) settings.batchSize());
    setup.put("max_length", (long) settings.maxLength());
    setup.put("steps", (long) settings.steps());
    setup.put("warmup", (long) settings.warmup());
    setup.put("device", device.device().label());
    setup.put("xla", device.xla());
    setup.put("xla_effective", xlaEffective);
    setup.put("precision", device.precision().label());
    setup.put("fused_attention", device.fusedAttention());
    setup.put("update_form", settings.updateForm() == null ? "auto (gpu: merged-factored in fp32, merged in bf16/fp16; cpu: low-rank)"
        : settings.updateForm().label());
    setup.put("sync_every", (long) settings.syncEvery());
    setup.put("step_launch", stepLaunch.label());
    setup.put("tf_sync_on_finish", SyncOnFinish.describe());
    setup.put("xla_flags", Optional.ofNullable(System.getenv("XLA_FLAGS")).orElse(""));
    setup.put("intra_op_threads", (long) device.intraOpThreads());
    setup.put("inter_op_threads", (long) device.interOpThreads());
    setup.put("cores", (long) Runtime.getRuntime().availableProcessors());
    loadAverage.ifPresent(v -> setup.put("load_average", round(v)));
    json.put("setup", setup);
    Map<String, Object> memory = new LinkedHashMap<>();
    memory.put("peak_rss_source", "VmHWM of /proc/self/status");
    deviceMemorySource.ifPresent(v -> memory.put("peak_device_source", v));
    deviceBaselineMb.ifPresent(v -> memory.put("device_baseline_mb", round(v)));
    json.put("memory", memory);
    Map<String, Object> params = new LinkedHashMap<>();
    trainableParams.forEach((k, v) -> params.put(k, v));
    json.put("trainable_params", params);
    Map<String, Object> formKernels = new LinkedHashMap<>();
    Map<String, Object> formExceptions = new LinkedHashMap<>();
    updateForms.forEach((label, forms) -> {
      formKernels.put(label, forms.countsJson());
      if (!forms.asAsked()) {
        formExceptions.put(label, forms.exceptionsJson());
      }
    });
    json.put("update_form_kernels", formKernels);
    if (!formExceptions.isEmpty()) {
      json.put("update_form_exceptions", formExceptions);
    }
    List<Object> list = new ArrayList<>();
    double reference = primary().timings().medianMs();
    for (Measurement m : measurements) {
      list.add(measurementJson(m, reference));
    }
    json.put("measurements", list);
    profile.ifPresent(p -> json.put("profile", profileJson(p)));
    return json;
  }

  private Map<String, Object> profileJson(StepProfile p) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("measurement", primary().name());
    json.put("source", p.source());
    json.put("devices", List.copyOf(p.devices()));
    json.put("span_ms", round(p.spanNanos() / 1e6));
    json.put("op_time_ms", round(p.opNanos() / 1e6));
    json.put("busy_ms", round(p.busyNanos() / 1e6));
    json.put("entries", (long) p.entries().size());
    json.put("top", opTimesJson(p.top(PROFILED_OPS), "op"));
    json.put("top_kernels", opTimesJson(p.topKernels(PROFILED_KERNELS), "kernel"));
    return json;
  }

  private static List<Object> opTimesJson(List<StepProfile.OpTime> times, String key) {
    List<Object> list = new ArrayList<>();
    for (StepProfile.OpTime op : times) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put(key, op.op());
      entry.put("device", op.device());
      entry.put("total_ms", round(op.nanos() / 1e6));
      entry.put("count", (long) op.count());
      entry.put("share", round(op.share()));
      list.add(entry);
    }
    return list;
  }

  private static Map<String, Object> measurementJson(Measurement m, double reference) {
    Map<String, Object> entry = new LinkedHashMap<>();
    entry.put("name", m.name());
    entry.put("method", m.method());
    entry.put("mode", m.mode().label());
    entry.put("step_ms", stepMs(m.timings()));
    m.enqueue().ifPresent(t -> entry.put("enqueue_ms", stepMs(t)));
    entry.put("examples_per_s", round(m.examplesPerSecond()));
    entry.put("relative_to_primary", Math.round(m.timings().medianMs() / reference * 1000) / 1000.0);
    PlacementReport p = m.placement();
    Map<String, Object> placement = new LinkedHashMap<>();
    Map<String, Object> devices = new LinkedHashMap<>();
    p.opsPerDevice().forEach((k, v) -> devices.put(k, (long) v));
    placement.put("ops_per_device", devices);
    placement.put("host_compute_ops", (long) p.hostComputeOps().size());
    if (!p.hostComputeOps().isEmpty()) {
      placement.put("host_compute_op_names", List.copyOf(
          p.hostComputeOps().subList(0, Math.min(LISTED_HOST_OPS, p.hostComputeOps().size()))));
    }
    placement.put("device_transfers", (long) p.transfers());
    placement.put("xla_clusters", (long) p.xlaClusters());
    placement.put("reduced_precision_ops", (long) p.reducedPrecisionOps());
    if (p.gpuAllocatorPeakBytes() > 0) {
      placement.put("gpu_allocator_peak_mb", round(p.gpuAllocatorPeakBytes() / 1048576.0));
    }
    entry.put("placement", placement);
    return entry;
  }

  private static Map<String, Object> stepMs(Timings t) {
    Map<String, Object> ms = new LinkedHashMap<>();
    ms.put("median", round(t.medianMs()));
    ms.put("min", round(t.minMs()));
    ms.put("max", round(t.maxMs()));
    ms.put("mean", round(t.meanMs()));
    return ms;
  }

  private static double round(double value) {
    return Math.round(value * 1000) / 1000.0;
  }

  /** A table for people. */
  public String toText() {
    StringBuilder out = new StringBuilder();
    DeviceOptions device = settings.device();
    out.append(String.format(Locale.ROOT, "model %s, batch %d x %d tokens, %d timed steps after %d warm-up, %s%s%n",
        model, settings.batchSize(), settings.maxLength(), settings.steps(), settings.warmup(), device.describe(),
        device.xla() && !xlaEffective ? " (no XLA cluster ran)" : ""));
    if (settings.syncEvery() > 1) {
      out.append(String.format(Locale.ROOT, "training steps read their loss every %d steps (TF_SYNC_ON_FINISH %s)%n",
          settings.syncEvery(), SyncOnFinish.describe()));
    }
    out.append(String.format(Locale.ROOT, "%-18s %10s %10s %10s %12s %9s %s%n", "measurement", "median ms",
        "min ms", "max ms", "examples/s", "relative", "placement"));
    double reference = primary().timings().medianMs();
    for (Measurement m : measurements) {
      Timings t = m.timings();
      out.append(String.format(Locale.ROOT, "%-18s %10.2f %10.2f %10.2f %12.2f %8.3fx %s%n", m.name(),
          t.medianMs(), t.minMs(), t.maxMs(), m.examplesPerSecond(), t.medianMs() / reference,
          placementSummary(m.placement())));
    }
    for (Measurement m : measurements) {
      m.enqueue().ifPresent(e -> out.append(String.format(Locale.ROOT,
          "%-18s host time to queue one step (a group's first call): median %.2f ms of the %.2f ms step%n", m.name(),
          e.medianMs(), m.timings().medianMs())));
    }
    trainableParams.forEach((k, v) -> out.append("trainable parameters ").append(k).append(": ").append(v)
        .append(" (adapter + head, if one is added)\n"));
    peakRssMb.ifPresent(v -> out.append(String.format(Locale.ROOT, "peak host RSS %.0f MiB%n", v)));
    peakDeviceMb.ifPresent(v -> out.append(String.format(Locale.ROOT, "peak device memory %.0f MiB (%s%s)%n",
        v, deviceMemorySource.orElse("?"), deviceBaselineMb.isPresent()
            ? String.format(Locale.ROOT, "; %.0f MiB before the sessions", deviceBaselineMb.getAsDouble()) : "")));
    profile.ifPresent(p -> profileText(p, out));
    return out.toString();
  }

  private void profileText(StepProfile p, StringBuilder out) {
    out.append(String.format(Locale.ROOT, "profile of one traced %s step (%s: %s): %.2f ms from first op to last,"
        + " %.2f ms of op time, busy %.2f ms%n", primary().name(), p.source(), String.join(", ", p.devices()),
        p.spanNanos() / 1e6, p.opNanos() / 1e6, p.busyNanos() / 1e6));
    out.append(String.format(Locale.ROOT, "  %-28s %10s %7s %7s  %s%n", "op", "total ms", "count", "share",
        "device"));
    for (StepProfile.OpTime op : p.top(PROFILED_OPS)) {
      out.append(String.format(Locale.ROOT, "  %-28s %10.3f %7d %6.1f%%  %s%n", op.op(), op.nanos() / 1e6,
          op.count(), op.share() * 100, op.device()));
    }
    out.append(String.format(Locale.ROOT, "  %-60s %10s %7s %7s%n", "kernel", "total ms", "count", "share"));
    for (StepProfile.OpTime k : p.topKernels(PROFILED_KERNELS)) {
      String name = k.op().length() > 60 ? k.op().substring(0, 57) + "..." : k.op();
      out.append(String.format(Locale.ROOT, "  %-60s %10.3f %7d %6.1f%%%n", name, k.nanos() / 1e6, k.count(),
          k.share() * 100));
    }
  }

  private static String placementSummary(PlacementReport p) {
    String xla = (p.xlaClusters() > 0 ? ", " + p.xlaClusters() + " XLA clusters" : "")
        + (p.reducedPrecisionOps() > 0 ? ", " + p.reducedPrecisionOps() + " fp16/bf16 ops" : "");
    if (!p.usedGpu()) {
      return "cpu" + xla;
    }
    return "gpu, " + p.hostComputeOps().size() + " host ops, " + p.transfers() + " transfers" + xla;
  }
}
