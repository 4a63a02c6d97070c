package dev.finetune.vblora.training.export;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.model.AdapterVariable;
import dev.finetune.vblora.model.LogitsSlice;
import dev.finetune.vblora.model.PackedLogitsLayout;
import dev.finetune.vblora.training.TrainConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What an adapter export needs besides the tensor values: the run's settings (method and hyperparameters,
 * source model, task), the label names in class-id order, each adapter variable's role (group, kernel, shape)
 * and, for VB-LoRA, where each kernel's logits lie in the two packed logits variables. Saved with every
 * checkpoint, so {@code vblora export-adapter} works from a checkpoint alone.
 *
 * @param config the run's settings
 * @param labelNames class names in id order (empty for regression)
 * @param variables the adapter variables as the rewrite created them
 * @param logitsLayout where each kernel's logits lie (VB-LoRA); empty for LoRA
 */
public record AdapterManifest(TrainConfig config, List<String> labelNames, List<AdapterVariable> variables,
    Optional<PackedLogitsLayout> logitsLayout) {
  private static final String LOGITS_LAYOUT = "logits_layout";

  public AdapterManifest {
    labelNames = List.copyOf(labelNames);
    variables = List.copyOf(variables);
    Objects.requireNonNull(logitsLayout, "logitsLayout");
    if (config.method().packsLogits() && logitsLayout.isEmpty()) {
      throw new VbLoraException("a VB-LoRA adapter manifest needs the layout of its packed logits");
    }
  }

  /**
   * {"config": {...}, "label_names": [...], "adapter_variables": [{"name","group","kernel","shape"}],
   * "logits_layout": {"logits_A": [{"kernel","variable","axis","offset","length"}], "logits_B": [...]}}, the
   * layout for VB-LoRA only.
   */
  public Map<String, Object> toJson() {
    List<Object> vars = new ArrayList<>();
    for (AdapterVariable v : variables) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("name", v.name());
      entry.put("group", v.group());
      entry.put("kernel", v.kernel());
      entry.put("shape", v.shape());
      vars.add(entry);
    }
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("config", config.toJson());
    json.put("label_names", labelNames);
    json.put("adapter_variables", vars);
    logitsLayout.ifPresent(layout -> {
      Map<String, Object> packed = new LinkedHashMap<>();
      packed.put("logits_A", slicesToJson(layout.logitsA()));
      packed.put("logits_B", slicesToJson(layout.logitsB()));
      json.put(LOGITS_LAYOUT, packed);
    });
    return json;
  }

  /**
   * Reads what {@link #toJson()} wrote.
   *
   * @throws IllegalArgumentException for a VB-LoRA manifest with one logits variable per kernel (the layout
   *     before logits were packed), whose tensors this version cannot use
   */
  public static AdapterManifest fromJson(Map<String, Object> json) {
    TrainConfig config = TrainConfig.fromJson(Json.getObject(json, "config"));
    List<String> labels = new ArrayList<>();
    for (Object label : Json.getArray(json, "label_names")) {
      labels.add((String) label);
    }
    List<AdapterVariable> variables = new ArrayList<>();
    List<Object> entries = Json.getArray(json, "adapter_variables");
    for (int i = 0; i < entries.size(); i++) {
      Map<String, Object> entry = Json.asObject(entries.get(i), "adapter_variables[" + i + "]");
      List<Long> shape = new ArrayList<>();
      for (long d : Json.getLongArray(entry, "shape")) {
        shape.add(d);
      }
      String name = Json.getString(entry, "name");
      variables.add(new AdapterVariable(name, Json.getString(entry, "group"), Json.getString(entry, "kernel"),
          shape, name + "_read:0", ""));
    }
    if (config.method().packsLogits() && json.get(LOGITS_LAYOUT) == null) {
      String example = variables.stream().filter(v -> v.group().equals(AdapterVariable.LOGITS))
          .map(AdapterVariable::name).findFirst().orElse("none");
      throw new VbLoraException("its adapter manifest lists one logits_A and one logits_B variable per"
          + " kernel (e.g. " + example + "), the layout of vblora versions before the logits were packed into two"
          + " variables, which this version cannot load");
    }
    Optional<PackedLogitsLayout> layout = json.get(LOGITS_LAYOUT) == null ? Optional.empty()
        : Optional.of(layoutFromJson(Json.getObject(json, LOGITS_LAYOUT)));
    return new AdapterManifest(config, labels, variables, layout);
  }

  private static List<Object> slicesToJson(List<LogitsSlice> slices) {
    List<Object> entries = new ArrayList<>();
    for (LogitsSlice s : slices) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("kernel", s.kernel());
      entry.put("variable", s.variable());
      entry.put("axis", s.axis());
      entry.put("offset", s.offset());
      entry.put("length", s.length());
      entries.add(entry);
    }
    return entries;
  }

  private static PackedLogitsLayout layoutFromJson(Map<String, Object> json) {
    return new PackedLogitsLayout(slicesFromJson(json, "logits_A"), slicesFromJson(json, "logits_B"));
  }

  private static List<LogitsSlice> slicesFromJson(Map<String, Object> json, String key) {
    List<LogitsSlice> slices = new ArrayList<>();
    List<Object> entries = Json.getArray(json, key);
    for (int i = 0; i < entries.size(); i++) {
      Map<String, Object> e = Json.asObject(entries.get(i), LOGITS_LAYOUT + "." + key + "[" + i + "]");
      slices.add(new LogitsSlice(Json.getString(e, "kernel"), Json.getString(e, "variable"), Json.getInt(e, "axis"),
          Json.getLong(e, "offset"), Json.getLong(e, "length")));
    }
    return slices;
  }
}
