package dev.finetune.vblora.training.bench;

import dev.finetune.vblora.data.error.InvalidSettingException;
import dev.finetune.vblora.model.AppliedUpdateForms;
import dev.finetune.vblora.savedmodel.SavedModelInfo;
import dev.finetune.vblora.training.StepLaunch;
import dev.finetune.vblora.training.device.Device;
import dev.finetune.vblora.training.device.DeviceOptions;
import dev.finetune.vblora.training.device.DeviceProbe;
import dev.finetune.vblora.training.device.StepProfile;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Times training steps, forward passes and merged-model inference of one model, every measurement on its own
 * prepared session, all in one process and interleaved: each timed round runs one step of every measurement,
 * starting with a different one each round, so that all of them see the same machine load and their ratios
 * hold even on a shared machine.
 *
 * <p>Per adapter: {@link BenchMode#TRAIN} and {@link BenchMode#FORWARD} share one training graph and session;
 * {@link BenchMode#MERGED} (first adapter only: every merged model is the untouched graph) and {@link
 * BenchMode#BASE} each open the untouched graph. Method none measures the untouched model only.
 */
public final class Benchmark {
  private Benchmark() {}

  /**
   * Runs the measurements.
   *
   * @param modeLabel the model's folder or name, for the report
   * @param methods adapters to measure (and/or {@link BenchMethod#none()})
   * @param modes which measurements per adapter; method none always gives {@link BenchMode#BASE}
   * @param progress human-facing progress lines
   * @throws dev.finetune.vblora.training.device.DeviceUnavailableException when a GPU is asked for and missing
   */
  public static BenchReport run(SavedModelInfo model, String modeLabel, String signature,
      List<BenchMethod> methods, Set<BenchMode> modes, BenchSettings settings, Consumer<String> progress) {
    DeviceOptions device = settings.device();
    DeviceProbe.requireAvailable(device);
    if (modes.contains(BenchMode.MERGED) || modes.contains(BenchMode.BASE)
        || methods.stream().anyMatch(BenchMethod::untouched)) {
      // Checked before anything is built: these modes run the SavedModel's own graph.
      device.requireSessionPrecision("bench's merged and base modes");
    }
    BenchTask.Prepared prepared = BenchTask.Prepared.of(model, signature,
        methods.stream().anyMatch(m -> !m.untouched()), settings, progress);
    BenchSettings sized = prepared.settings();
    boolean gpu = device.device() == Device.GPU;
    OptionalLong baselineMb = gpu ? DeviceMemoryReading.readMb() : OptionalLong.empty();
    Deque<AutoCloseable> owned = new ArrayDeque<>();
    try {
      List<TimedRun> runs = new ArrayList<>();
      Map<String, Long> params = new LinkedHashMap<>();
      Map<String, AppliedUpdateForms> updateForms = new LinkedHashMap<>();
      boolean merged = false;
      boolean base = modes.contains(BenchMode.BASE);
      StepLaunch stepLaunch = null;
      for (BenchMethod method : methods) {
        if (method.untouched()) {
          base = true;
          continue;
        }
        boolean wantsMerged = modes.contains(BenchMode.MERGED) && !merged;
        if (!modes.contains(BenchMode.TRAIN) && !modes.contains(BenchMode.FORWARD) && !wantsMerged) {
          continue;
        }
        progress.accept("building the " + method.label() + " training graph ...");
        AdaptedModelSession adapted = AdaptedModelSession.open(model, signature, method.label(),
            method.plan().orElseThrow(), prepared, device);
        owned.push(adapted);
        params.put(method.label(), adapted.trainableParams());
        updateForms.put(method.label(), adapted.updateForms());
        if (modes.contains(BenchMode.TRAIN)) {
          runs.add(adapted.trainStep(settings.syncEvery()));
          stepLaunch = stepLaunch != null ? stepLaunch : adapted.stepLaunch();
        }
        if (modes.contains(BenchMode.FORWARD)) {
          runs.add(adapted.forward());
        }
        if (wantsMerged) {
          progress.accept("merging the " + method.label() + " update into the untouched graph ...");
          InferenceSession session = InferenceSession.merged(model, signature, adapted.deltas(), method.label(),
              prepared, device);
          owned.push(session);
          runs.add(session.forward());
          merged = true;
        }
      }
      if (base) {
        progress.accept("loading the untouched model ...");
        InferenceSession session = InferenceSession.base(model, signature, prepared, device);
        owned.push(session);
        runs.add(session.forward());
      }
      if (runs.isEmpty()) {
        throw new InvalidSettingException(List.of("mode", "method"), "nothing to measure: method none only has"
            + " the untouched model's forward pass (use mode forward or all)");
      }
      List<Measurement> measurements = measure(runs, settings, progress);
      Optional<StepProfile> profile = Optional.empty();
      if (settings.profile()) {
        progress.accept("profiling one traced step of " + runs.get(0).name() + " ...");
        profile = Optional.of(runs.get(0).profile());
      }
      boolean xla = measurements.stream().anyMatch(m -> m.placement().xlaClusters() > 0);
      OptionalDouble rss = toMb(HostMemory.peakResidentBytes());
      OptionalLong peakMb = gpu ? DeviceMemoryReading.readMb() : OptionalLong.empty();
      return new BenchReport(modeLabel, sized, measurements, params, updateForms, rss, optional(peakMb),
          optional(baselineMb), gpu ? Optional.of(DeviceMemoryReading.SOURCE) : Optional.empty(), xla,
          HostLoad.oneMinute(), profile, stepLaunch != null ? stepLaunch : StepLaunch.CLUSTERED);
    } finally {
      closeAll(owned);
    }
  }

  /** Warm-up per run, then interleaved timed rounds, then one traced step per run. */
  static List<Measurement> measure(List<TimedRun> runs, BenchSettings settings, Consumer<String> progress) {
    for (TimedRun run : runs) {
      progress.accept("warming up " + run.name() + " (" + settings.warmup() + " steps) ...");
      for (int i = 0; i < settings.warmup(); i++) {
        run.step();
      }
    }
    int n = runs.size();
    long[][] nanos = new long[n][settings.steps()];
    long[][] enqueueNanos = new long[n][settings.steps()];
    progress.accept("timing " + settings.steps() + " rounds of " + n + " measurement(s) ...");
    for (int round = 0; round < settings.steps(); round++) {
      for (int k = 0; k < n; k++) {
        int index = (round + k) % n;
        TimedRun.StepTime time = runs.get(index).step();
        nanos[index][round] = time.nanos();
        enqueueNanos[index][round] = time.enqueueNanos().orElse(0);
      }
    }
    List<Measurement> measurements = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      TimedRun run = runs.get(i);
      Timings timings = Timings.ofNanos(nanos[i]);
      measurements.add(new Measurement(run.method(), run.mode(), timings,
          timings.examplesPerSecond(settings.batchSize()), run.trace(),
          run.queuesSteps() ? Optional.of(Timings.ofNanos(enqueueNanos[i])) : Optional.empty()));
    }
    return measurements;
  }

  private static OptionalDouble toMb(java.util.OptionalLong bytes) {
    return bytes.isPresent() ? OptionalDouble.of(bytes.getAsLong() / 1048576.0) : OptionalDouble.empty();
  }

  private static OptionalDouble optional(OptionalLong mb) {
    return mb.isPresent() ? OptionalDouble.of(mb.getAsLong()) : OptionalDouble.empty();
  }

  private static void closeAll(Deque<AutoCloseable> owned) {
    RuntimeException failure = null;
    while (!owned.isEmpty()) {
      try {
        owned.pop().close();
      } catch (Exception e) {
        if (failure == null) {
          failure = new IllegalStateException("closing a benchmark session failed: " + e.getMessage(), e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }
}
