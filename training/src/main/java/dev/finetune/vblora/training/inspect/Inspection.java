package dev.finetune.vblora.training.inspect;

import dev.finetune.vblora.data.Counted;
import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.model.AdapterPlan;
import dev.finetune.vblora.model.Kernel;
import dev.finetune.vblora.model.KernelDiscovery;
import dev.finetune.vblora.model.KernelRole;
import dev.finetune.vblora.model.TargetSelection;
import dev.finetune.vblora.model.TargetSelector;
import dev.finetune.vblora.model.VbLoraPlan;
import dev.finetune.vblora.model.VectorLengthMismatchException;
import dev.finetune.vblora.savedmodel.SavedModelInfo;
import dev.finetune.vblora.savedmodel.SignatureInfo;
import dev.finetune.vblora.savedmodel.TensorSpec;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * What {@code vblora inspect} reports: the model's signatures, its adaptable kernels, the kernels a selection
 * picks and the adapter's parameter counts, as one JSON document or as text for people. A dry run: a kernel whose
 * sizes the adapter cannot take (VB-LoRA's vector length does not divide them) is marked, not an error.
 *
 * @param info the model read
 * @param signatureKey the signature whose serving path was searched
 * @param kernels every adaptable kernel on that path
 * @param selected the names of the kernels the selection picks, in discovery order
 * @param misfits per kernel the adapter cannot take (selected or not), why: {@code sizes 312x312 do not divide
 *     vector_length 256; vector lengths that do: 2, 3, 4, ...}
 * @param plan the adapter for the selected kernels that fit; empty when none does
 * @param unselected why nothing is selected, when the report shows the kernels of a selection that matched none
 *     ({@link #unselected}); empty otherwise
 */
public record Inspection(SavedModelInfo info, String signatureKey, List<Kernel> kernels, List<String> selected,
    Map<String, String> misfits, Optional<AdapterPlan> plan, Optional<String> unselected) {
  public Inspection {
    kernels = List.copyOf(kernels);
    selected = List.copyOf(selected);
    misfits = Collections.unmodifiableMap(new LinkedHashMap<>(misfits));
  }

  /**
   * Discovers the kernels of {@code signatureKey}, selects targets, marks the kernels the adapter cannot take and
   * plans the adapter for the selected ones that fit.
   *
   * @param planner builds the plan from the selected kernels, e.g. {@code ks -> VbLoraPlan.of(ks, config)}
   * @throws IllegalArgumentException when the selection matches nothing
   */
  public static Inspection inspect(SavedModelInfo info, String signatureKey, TargetSelection selection,
      Function<List<Kernel>, AdapterPlan> planner) {
    info.signature(signatureKey); // a clear error for an unknown signature
    List<Kernel> kernels = KernelDiscovery.discover(info.metaGraph(), signatureKey);
    List<Kernel> selected = TargetSelector.select(kernels, selection);
    Map<String, String> misfits = misfits(kernels, planner);
    List<Kernel> fitting = selected.stream().filter(k -> !misfits.containsKey(k.name())).toList();
    return new Inspection(info, signatureKey, kernels, selected.stream().map(Kernel::name).toList(), misfits,
        fitting.isEmpty() ? Optional.empty() : Optional.of(planner.apply(fitting)), Optional.empty());
  }

  /**
   * The report of a selection that matched nothing, {@code why} saying so: the signatures and every kernel, none
   * selected. For a discovery run whose selection the user did not choose (inspect's default preset on a model it
   * does not fit), where the kernels are what the user came to see.
   */
  public static Inspection unselected(SavedModelInfo info, String signatureKey,
      Function<List<Kernel>, AdapterPlan> planner, String why) {
    info.signature(signatureKey);
    List<Kernel> kernels = KernelDiscovery.discover(info.metaGraph(), signatureKey);
    return new Inspection(info, signatureKey, kernels, List.of(), misfits(kernels, planner), Optional.empty(),
        Optional.of(why));
  }

  /** Per kernel the adapter cannot take, why. */
  private static Map<String, String> misfits(List<Kernel> kernels, Function<List<Kernel>, AdapterPlan> planner) {
    Map<String, String> misfits = new LinkedHashMap<>();
    for (Kernel kernel : kernels) {
      try {
        planner.apply(List.of(kernel));
      } catch (VectorLengthMismatchException e) {
        misfits.put(kernel.name(), e.mark());
      }
    }
    return misfits;
  }

  /** The selected kernels the adapter cannot take, in discovery order. */
  public List<String> selectedMisfits() {
    return selected.stream().filter(misfits::containsKey).toList();
  }

  /**
   * The {@code vblora inspect --json} document: {@code {"signatures": {...}, "kernels": [{"name", "op",
   * "variable", "shape", "function"?, "equation"?, "role"?, "layer"?, "uses"?, "misfit"?}], "selected": [...],
   * "unselected"?, "params": {"trainable", "stored"}}}; {@code unselected} says why nothing is selected; {@code role} as the presets read it (query, key, value,
   * attention_output, intermediate, output, pooler, embedding_projection; absent for others), {@code layer} the
   * layer index when the name has one, {@code uses} when more than one op applies the kernel (shared weights),
   * {@code misfit} when the adapter cannot take it, and params count the selected kernels that fit.
   */
  public String toJson() {
    Map<String, Object> root = new LinkedHashMap<>();
    Map<String, Object> signatures = new LinkedHashMap<>();
    servingSignatures().forEach((key, s) -> signatures.put(key, signatureJson(s)));
    root.put("signatures", signatures);
    List<Object> kernelList = new ArrayList<>();
    for (Kernel k : kernels) {
      Map<String, Object> kernel = new LinkedHashMap<>();
      kernel.put("name", k.name());
      kernel.put("op", k.op());
      kernel.put("variable", k.variable());
      kernel.put("shape", k.shape());
      if (!k.uses().get(0).function().isEmpty()) {
        kernel.put("function", k.uses().get(0).function());
      }
      if (!k.uses().get(0).equation().isEmpty()) {
        kernel.put("equation", k.uses().get(0).equation());
      }
      if (k.role() != KernelRole.OTHER) {
        kernel.put("role", k.role().name().toLowerCase(Locale.ROOT));
      }
      k.layer().ifPresent(layer -> kernel.put("layer", layer));
      if (k.uses().size() > 1) {
        kernel.put("uses", k.uses().size());
      }
      if (misfits.containsKey(k.name())) {
        kernel.put("misfit", misfits.get(k.name()));
      }
      kernelList.add(kernel);
    }
    root.put("kernels", kernelList);
    root.put("selected", selected);
    unselected.ifPresent(why -> root.put("unselected", why));
    Map<String, Object> params = new LinkedHashMap<>();
    params.put("trainable", plan.map(AdapterPlan::trainableParams).orElse(0L));
    params.put("stored", plan.map(AdapterPlan::storedParams).orElse(0L));
    root.put("params", params);
    return Json.toCompactJson(root);
  }

  /**
   * The signatures a client can call: TF2's {@code __saved_model_init_op} is a signature def only in name (it runs
   * the model's initializers, and its output has no type), so it is not shown.
   */
  private Map<String, SignatureInfo> servingSignatures() {
    Map<String, SignatureInfo> shown = new LinkedHashMap<>(info.signatures());
    shown.keySet().removeIf(key -> key.startsWith("__"));
    return shown;
  }

  private static Map<String, Object> signatureJson(SignatureInfo s) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("method", s.methodName());
    json.put("inputs", tensorsJson(s.inputs()));
    json.put("outputs", tensorsJson(s.outputs()));
    return json;
  }

  private static Map<String, Object> tensorsJson(Map<String, TensorSpec> tensors) {
    Map<String, Object> json = new LinkedHashMap<>();
    tensors.forEach((name, t) -> {
      Map<String, Object> tensor = new LinkedHashMap<>();
      tensor.put("name", t.tensorName());
      tensor.put("dtype", t.dtype().name());
      tensor.put("shape", t.rankKnown() ? t.shape() : null);
      json.put(name, tensor);
    });
    return json;
  }

  /** A text report for people: signatures, kernels (selected and misfitting ones marked), parameter counts. */
  public String toText() {
    StringBuilder out = new StringBuilder();
    out.append("Model ").append(info.path()).append(" (tags ").append(String.join(",", info.tags())).append(")\n");
    servingSignatures().forEach((key, s) -> {
      out.append("Signature ").append(key).append(" (").append(s.methodName()).append(")\n");
      s.inputs().forEach((name, t) -> out.append(tensorLine("in ", name, t)));
      s.outputs().forEach((name, t) -> out.append(tensorLine("out", name, t)));
    });
    Set<String> chosen = Set.copyOf(selected);
    int width = kernels.stream().mapToInt(k -> k.name().length()).max().orElse(0);
    out.append("Kernels on the path of ").append(signatureKey).append(": ").append(kernels.size())
        .append(" (* = selected").append(misfits.isEmpty() ? "" : ", ! = the adapter cannot take it").append(")\n");
    for (Kernel k : kernels) {
      out.append(chosen.contains(k.name()) ? "  * " : "    ")
          .append(String.format("%-" + width + "s  %-12s  %-8s  %s", k.name(), k.shape(), k.op(), k.layout()))
          .append(k.uses().size() > 1 ? "  (" + k.uses().size() + " uses, one adapter)" : "")
          .append(k.head() ? "  (output layer, left out of all-linear)" : "")
          .append(misfits.containsKey(k.name()) ? "  ! " + misfits.get(k.name()) : "")
          .append('\n');
    }
    if (unselected.isPresent()) {
      return out.append("Selected none: ").append(unselected.get()).append('\n').toString();
    }
    List<String> unfit = selectedMisfits();
    out.append("Selected ").append(Counted.of(selected.size(), "kernel"))
        .append(plan.map(p -> " for " + p.method()).orElse(""));
    if (!unfit.isEmpty()) {
      List<Kernel> chosenKernels = kernels.stream().filter(k -> chosen.contains(k.name())).toList();
      List<Long> lengths = VbLoraPlan.fittingVectorLengths(chosenKernels);
      out.append("; ").append(unfit.size()).append(" of them (marked !) do not fit, and train would refuse them: ")
          .append(lengths.isEmpty() ? "no vector length above 1 fits all of them"
              : "vector lengths that fit all of them: " + lengths.stream().map(String::valueOf)
                  .collect(Collectors.joining(", ")));
    }
    out.append('\n');
    if (plan.isEmpty() && !selected.isEmpty()) {
      // Counting zero parameters would read as an adapter of size zero: say that there is none to count.
      out.append("Parameters: none, since no selected kernel fits; choose a vector length that fits them"
          + " (--vector-length)\n");
    } else {
      out.append(String.format("Parameters%s: trainable %,d, stored %,d%n", unfit.isEmpty() ? "" : " of those that"
          + " fit", plan.map(AdapterPlan::trainableParams).orElse(0L), plan.map(AdapterPlan::storedParams).orElse(0L)));
    }
    return out.toString();
  }

  /** {@link #toText()}: what {@code vblora inspect} prints, not the record's fields (the whole meta graph). */
  @Override
  public String toString() {
    return toText();
  }

  private static String tensorLine(String direction, String name, TensorSpec t) {
    String shape = t.rankKnown() ? t.shape().toString() : "[unknown rank]";
    return String.format("  %s %-20s %-9s %-16s %s%n", direction, name, t.dtype().name(), shape, t.tensorName());
  }
}
