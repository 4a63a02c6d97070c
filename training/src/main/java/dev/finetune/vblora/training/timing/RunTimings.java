package dev.finetune.vblora.training.timing;

import dev.finetune.vblora.data.Counted;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Where a run's wall time went, as {@link RunClock} recorded it.
 *
 * @param totalSeconds from the process start (or the clock's start) to the snapshot; includes what no phase covers
 * @param phaseSeconds seconds per phase
 * @param compilations XLA compilations TensorFlow reported (see training.device.CompileTracker)
 * @param compilationsFromCache how many of them loaded an executable from the persistent cache
 */
public record RunTimings(double totalSeconds, Map<Phase, Double> phaseSeconds, int compilations,
    int compilationsFromCache) {

  public RunTimings {
    Map<Phase, Double> complete = new EnumMap<>(Phase.class);
    for (Phase phase : Phase.values()) {
      complete.put(phase, phaseSeconds.getOrDefault(phase, 0.0));
    }
    phaseSeconds = Map.copyOf(complete);
  }

  /** Seconds of {@code phase}. */
  public double seconds(Phase phase) {
    return phaseSeconds.get(phase);
  }

  /**
   * {"total_s": X, "phases_s": {"startup": X, "load": X, ...}, "compilations": N, "compilations_from_cache": N}.
   */
  public Map<String, Object> toJson() {
    Map<String, Object> phases = new LinkedHashMap<>();
    for (Phase phase : Phase.values()) {
      phases.put(phase.key(), round(seconds(phase)));
    }
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("total_s", round(totalSeconds));
    json.put("phases_s", phases);
    json.put("compilations", (long) compilations);
    json.put("compilations_from_cache", (long) compilationsFromCache);
    return json;
  }

  /** One line for a person: {@code time 38.2 s from process start: startup 0.9, load 4.1, ...}. */
  public String summary() {
    StringJoiner parts = new StringJoiner(", ");
    for (Phase phase : Phase.values()) {
      String part = String.format(Locale.ROOT, "%s %.1f", phase.key(), seconds(phase));
      if (phase == Phase.COMPILE) {
        part += " (" + Counted.of(compilations, "compilation")
            + (compilationsFromCache > 0 ? ", " + compilationsFromCache + " from the cache" : "") + ")";
      }
      parts.add(part);
    }
    return String.format(Locale.ROOT, "time %.1f s: %s", totalSeconds, parts);
  }

  private static double round(double seconds) {
    return Math.round(seconds * 1000) / 1000.0;
  }
}
