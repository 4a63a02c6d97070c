package dev.finetune.vblora.training.export;

import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.model.AdapterVariable;
import dev.finetune.vblora.training.TrainConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What an adapter export needs besides the tensor values: the run's settings (method and hyperparameters,
 * source model, task), the label names in class-id order, and each adapter variable's role (group, kernel,
 * shape). Saved with every checkpoint, so {@code vblora export-adapter} works from a checkpoint alone.
 *
 * @param config the run's settings
 * @param labelNames class names in id order (empty for regression)
 * @param variables the adapter variables as the rewrite created them
 */
public record AdapterManifest(TrainConfig config, List<String> labelNames, List<AdapterVariable> variables) {

  public AdapterManifest {
    labelNames = List.copyOf(labelNames);
    variables = List.copyOf(variables);
  }

  /** {"config": {...}, "label_names": [...], "adapter_variables": [{"name","group","kernel","shape"}]}. */
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
    return json;
  }

  /** Reads what {@link #toJson()} wrote. */
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
    return new AdapterManifest(config, labels, variables);
  }
}
