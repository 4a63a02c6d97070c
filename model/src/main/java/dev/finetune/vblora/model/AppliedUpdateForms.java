package dev.finetune.vblora.model;

import dev.finetune.vblora.data.Counted;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The update form each adapted kernel of a graph got. A graph is built in one {@link UpdateForm}, but not every
 * kernel takes every form: an Einsum kernel of a TF2 model keeps {@link UpdateForm#LOW_RANK} under both merged
 * forms, and a product {@link FactoredGradients} cannot mark keeps {@link UpdateForm#MERGED}'s gradient. Kept so
 * that a run which asked for one form and got another for some kernels says so (metrics.json, bench's JSON).
 *
 * @param asked the form the graph was built in
 * @param byKernel per adapted kernel, in the plan's order, the form it got
 * @param reasons per kernel that got another form than {@code asked}, why
 */
public record AppliedUpdateForms(UpdateForm asked, Map<String, UpdateForm> byKernel, Map<String, String> reasons) {
  /** How many kernels {@link #describe()} names per reason. */
  private static final int LISTED = 3;

  public AppliedUpdateForms {
    byKernel = Collections.unmodifiableMap(new LinkedHashMap<>(byKernel));
    reasons = Collections.unmodifiableMap(new LinkedHashMap<>(reasons));
  }

  /**
   * The forms of {@code targets}' kernels in a graph built in {@code asked}.
   *
   * @param unfactored under {@link UpdateForm#MERGED_FACTORED}, the kernels whose products kept the merged form's
   *     gradient, with why ({@link FactoredGradients.Marked#unmarked()})
   */
  static AppliedUpdateForms of(UpdateForm asked, List<AdaptedTarget> targets, Map<String, String> unfactored) {
    Map<String, UpdateForm> forms = new LinkedHashMap<>();
    Map<String, String> reasons = new LinkedHashMap<>();
    for (AdaptedTarget target : targets) {
      String kernel = target.kernel().name();
      if (asked.merged() && appliedByEinsum(target)) {
        forms.put(kernel, UpdateForm.LOW_RANK);
        reasons.put(kernel, "an Einsum applies the kernel, and Einsum kernels keep the low-rank form");
      } else if (asked == UpdateForm.MERGED_FACTORED && unfactored.containsKey(kernel)) {
        forms.put(kernel, UpdateForm.MERGED);
        reasons.put(kernel, unfactored.get(kernel));
      } else {
        forms.put(kernel, asked);
      }
    }
    return new AppliedUpdateForms(asked, forms, reasons);
  }

  private static boolean appliedByEinsum(AdaptedTarget target) {
    return target.kernel().uses().stream().anyMatch(u -> u.op().equals("Einsum"));
  }

  /** How many kernels got each form, forms in declaration order, only those some kernel got. */
  public Map<UpdateForm, Integer> counts() {
    Map<UpdateForm, Integer> counts = new EnumMap<>(UpdateForm.class);
    byKernel.values().forEach(f -> counts.merge(f, 1, Integer::sum));
    return counts;
  }

  /** Whether every kernel got the form that was asked for. */
  public boolean asAsked() {
    return reasons.isEmpty();
  }

  /** {"merged": 2, "merged-factored": 22}: {@link #counts()} by label, as in JSON. */
  public Map<String, Object> countsJson() {
    Map<String, Object> json = new LinkedHashMap<>();
    counts().forEach((form, n) -> json.put(form.label(), (long) n));
    return json;
  }

  /** {kernel: "merged: why"} for every kernel that got another form than asked, as in JSON. */
  public Map<String, Object> exceptionsJson() {
    Map<String, Object> json = new LinkedHashMap<>();
    reasons.forEach((kernel, why) -> json.put(kernel, byKernel.get(kernel).label() + ": " + why));
    return json;
  }

  /**
   * One line for a person: {@code merged-factored (24 kernels)}, or, when some kernels got another form, the
   * counts and, per form and reason, the first few such kernels.
   */
  public String describe() {
    StringBuilder line = new StringBuilder(asked.label());
    if (asAsked()) {
      return line.append(" (").append(kernels(byKernel.size())).append(')').toString();
    }
    line.append(" asked; got");
    String separator = " ";
    for (Map.Entry<UpdateForm, Integer> count : counts().entrySet()) {
      line.append(separator).append(count.getKey().label()).append(" for ").append(kernels(count.getValue()));
      separator = ", ";
    }
    Map<String, List<String>> byReason = new LinkedHashMap<>();
    reasons.forEach((kernel, why) -> byReason.computeIfAbsent(byKernel.get(kernel).label() + " where " + why,
        k -> new ArrayList<>()).add(kernel));
    byReason.forEach((why, kernels) -> {
      line.append("; ").append(why).append(": ").append(String.join(", ", kernels.subList(0, Math.min(LISTED,
          kernels.size()))));
      if (kernels.size() > LISTED) {
        line.append(" and ").append(kernels.size() - LISTED).append(" more");
      }
    });
    return line.toString();
  }

  private static String kernels(int n) {
    return Counted.of(n, "kernel");
  }
}
