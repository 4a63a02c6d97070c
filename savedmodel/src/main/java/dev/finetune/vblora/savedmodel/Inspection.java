package dev.finetune.vblora.savedmodel;

import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.model.AdapterPlan;
import dev.finetune.vblora.model.Kernel;
import dev.finetune.vblora.model.KernelDiscovery;
import dev.finetune.vblora.model.TargetSelection;
import dev.finetune.vblora.model.TargetSelector;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * What {@code vblora inspect} reports: the model's signatures, its adaptable kernels, the kernels a selection
 * picks and the adapter's parameter counts, as one JSON document or as text for people.
 *
 * @param info the model read
 * @param signatureKey the signature whose serving path was searched
 * @param kernels every adaptable kernel on that path
 * @param plan the adapter for the selected kernels
 */
public record Inspection(SavedModelInfo info, String signatureKey, List<Kernel> kernels, AdapterPlan plan) {
  public Inspection {
    kernels = List.copyOf(kernels);
  }

  /**
   * Discovers the kernels of {@code signatureKey}, selects targets and plans the adapter.
   *
   * @param planner builds the plan from the selected kernels, e.g. {@code ks -> VbLoraPlan.of(ks, config)}
   * @throws IllegalArgumentException when the selection matches nothing or a kernel does not fit the plan
   */
  public static Inspection inspect(SavedModelInfo info, String signatureKey, TargetSelection selection,
      Function<List<Kernel>, AdapterPlan> planner) {
    info.signature(signatureKey); // a clear error for an unknown signature
    List<Kernel> kernels = KernelDiscovery.discover(info.metaGraph(), signatureKey);
    return new Inspection(info, signatureKey, kernels, planner.apply(TargetSelector.select(kernels, selection)));
  }

  /** Names of the selected kernels, in discovery order. */
  public List<String> selected() {
    return plan.kernels().stream().map(Kernel::name).collect(Collectors.toList());
  }

  /**
   * The {@code vblora inspect --json} document: {@code {"signatures": {...}, "kernels": [{"name", "op",
   * "variable", "shape", "function"?, "equation"?}], "selected": [...], "params": {"trainable", "stored"}}}.
   */
  public String toJson() {
    Map<String, Object> root = new LinkedHashMap<>();
    Map<String, Object> signatures = new LinkedHashMap<>();
    info.signatures().forEach((key, s) -> signatures.put(key, signatureJson(s)));
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
      kernelList.add(kernel);
    }
    root.put("kernels", kernelList);
    root.put("selected", selected());
    Map<String, Object> params = new LinkedHashMap<>();
    params.put("trainable", plan.trainableParams());
    params.put("stored", plan.storedParams());
    root.put("params", params);
    return Json.toCompactJson(root);
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

  /** A text report for people: signatures, kernels (selected ones marked), parameter counts. */
  public String toText() {
    StringBuilder out = new StringBuilder();
    out.append("Model ").append(info.path()).append(" (tags ").append(String.join(",", info.tags())).append(")\n");
    info.signatures().forEach((key, s) -> {
      out.append("Signature ").append(key).append(" (").append(s.methodName()).append(")\n");
      s.inputs().forEach((name, t) -> out.append(tensorLine("in ", name, t)));
      s.outputs().forEach((name, t) -> out.append(tensorLine("out", name, t)));
    });
    Set<String> selected = Set.copyOf(selected());
    int width = kernels.stream().mapToInt(k -> k.name().length()).max().orElse(0);
    out.append("Kernels on the path of ").append(signatureKey).append(": ").append(kernels.size())
        .append(" (* = selected)\n");
    for (Kernel k : kernels) {
      out.append(selected.contains(k.name()) ? "  * " : "    ")
          .append(String.format("%-" + width + "s  %-12s  %-8s  %s", k.name(), k.shape(), k.op(), k.layout()))
          .append(k.head() ? "  (output head)" : "")
          .append('\n');
    }
    out.append("Selected ").append(selected.size()).append(" kernels for ").append(plan.method()).append('\n');
    out.append(String.format("Parameters: trainable %,d, stored %,d%n", plan.trainableParams(), plan.storedParams()));
    return out.toString();
  }

  private static String tensorLine(String direction, String name, TensorSpec t) {
    String shape = t.rankKnown() ? t.shape().toString() : "[unknown rank]";
    return String.format("  %s %-20s %-9s %-16s %s%n", direction, name, t.dtype().name(), shape, t.tensorName());
  }
}
