package dev.finetune.vblora.training.bench;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.training.StepLaunch;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Losses of the same training run with XLA off and on (same graph, seed, initial values and batches).
 *
 * @param method the adapter trained
 * @param lossesWithout per step, XLA off (the loss of the batch before that step's update)
 * @param lossesWith per step, XLA on
 * @param xlaClusters XLA clusters in the XLA session's traced step; 0 means XLA did not actually compile
 * @param without step times with XLA off
 * @param with step times with XLA on
 * @param stepLaunch how the XLA side ran its steps: fed and auto-clustered, or staged as one program as {@code
 *     train} runs them on a GPU
 */
public record XlaComparison(String method, List<Double> lossesWithout, List<Double> lossesWith, int xlaClusters,
    Timings without, Timings with, StepLaunch stepLaunch) {

  public XlaComparison {
    lossesWithout = List.copyOf(lossesWithout);
    lossesWith = List.copyOf(lossesWith);
    if (lossesWithout.size() != lossesWith.size() || lossesWithout.isEmpty()) {
      throw new VbLoraException("both runs need the same, non-zero number of losses, got "
          + lossesWithout.size() + " and " + lossesWith.size());
    }
  }

  /** max over steps of |with - without| / |without|. */
  public double maxRelativeDifference() {
    return relativeDifferences()[stepOfMax()];
  }

  /** max over steps of |with - without|. */
  public double maxAbsoluteDifference() {
    double max = 0;
    for (int i = 0; i < lossesWithout.size(); i++) {
      max = Math.max(max, Math.abs(lossesWith.get(i) - lossesWithout.get(i)));
    }
    return max;
  }

  /** The (0-based) step where the relative difference is largest. */
  public int stepOfMax() {
    double[] diffs = relativeDifferences();
    int worst = 0;
    for (int i = 1; i < diffs.length; i++) {
      if (diffs[i] > diffs[worst]) {
        worst = i;
      }
    }
    return worst;
  }

  private double[] relativeDifferences() {
    double[] diffs = new double[lossesWithout.size()];
    for (int i = 0; i < diffs.length; i++) {
      double reference = lossesWithout.get(i);
      diffs[i] = Math.abs(lossesWith.get(i) - reference) / Math.max(Math.abs(reference), Double.MIN_NORMAL);
    }
    return diffs;
  }

  public Map<String, Object> toJsonObject() {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("method", method);
    json.put("steps", (long) lossesWithout.size());
    json.put("max_relative_loss_difference", maxRelativeDifference());
    json.put("step_of_max", (long) stepOfMax());
    json.put("max_absolute_loss_difference", maxAbsoluteDifference());
    json.put("xla_clusters", (long) xlaClusters);
    json.put("xla_effective", xlaClusters > 0);
    json.put("step_launch", stepLaunch.label());
    json.put("first_loss", Map.of("xla_off", lossesWithout.get(0), "xla_on", lossesWith.get(0)));
    int last = lossesWithout.size() - 1;
    json.put("last_loss", Map.of("xla_off", lossesWithout.get(last), "xla_on", lossesWith.get(last)));
    json.put("step_ms_median", Map.of("xla_off", without.medianMs(), "xla_on", with.medianMs()));
    json.put("losses_xla_off", lossesWithout);
    json.put("losses_xla_on", lossesWith);
    return json;
  }
}
