package dev.finetune.vblora.data;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.data.io.AtomicFile;
import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.data.json.JsonSyntaxException;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The classes of a classification task, each with its id (the index of the model's output logit).
 *
 * <p>The order depends only on the label names, never on the order of the data: integers in numeric order
 * (so labels 0..n-1 get ids 0..n-1), otherwise names in Unicode code-unit order. Labels that spell one whole
 * number ("1", "1.0", "+1") are one class, named by the integer ({@link NumericLabel}), and such a number is
 * found by its value ({@link #idOf}). Training saves its label
 * set ({@link #save}) and evaluation loads it, so that id 3 means the same class in both even when the
 * evaluation data lacks some classes or lists them in another order.
 */
public final class LabelSet {
  private static final Pattern INTEGER = Pattern.compile("[+-]?\\d+");
  private static final Comparator<String> INTEGERS_NUMERICALLY =
      Comparator.<String, BigInteger>comparing(BigInteger::new).thenComparing(Comparator.naturalOrder());

  private final List<String> names;
  private final Map<String, Integer> ids;
  /** Whole-number names by value; a value that two names spell (a label set saved before they were one) maps to -1. */
  private final Map<BigInteger, Integer> idsByValue = new HashMap<>();

  private LabelSet(List<String> names) {
    this.names = List.copyOf(names);
    this.ids = new HashMap<>();
    for (int id = 0; id < names.size(); id++) {
      if (names.get(id).isEmpty()) {
        throw new VbLoraException("label " + id + " is empty; every class needs a name");
      }
      if (ids.put(names.get(id), id) != null) {
        throw new VbLoraException("label '" + names.get(id) + "' is listed twice; list each class once");
      }
    }
    if (names.isEmpty()) {
      throw new VbLoraException("a label set needs at least one class");
    }
    for (int id = 0; id < names.size(); id++) {
      int classId = id;
      NumericLabel.value(names.get(id)).ifPresent(v -> idsByValue.merge(v, classId, (a, b) -> -1));
    }
  }

  /** The distinct labels among {@code seen}, in the deterministic order described above. */
  public static LabelSet of(Collection<String> seen) {
    TreeSet<String> distinct = new TreeSet<>();
    for (String label : seen) {
      // A whole number is named by its integer: 1.0 and +1 are the class 1.
      distinct.add(NumericLabel.value(label).map(BigInteger::toString).orElse(label));
    }
    boolean integers = distinct.stream().allMatch(s -> INTEGER.matcher(s).matches());
    List<String> ordered = new ArrayList<>(distinct);
    if (integers) {
      ordered.sort(INTEGERS_NUMERICALLY);
    }
    return new LabelSet(ordered);
  }

  /** Labels with ids in exactly the given order (as saved). */
  public static LabelSet inOrder(List<String> names) {
    return new LabelSet(names);
  }

  public int size() {
    return names.size();
  }

  /** Label names in id order. */
  public List<String> names() {
    return names;
  }

  public String name(int id) {
    if (id < 0 || id >= names.size()) {
      throw new VbLoraException("class id " + id + " is outside 0.." + (names.size() - 1));
    }
    return names.get(id);
  }

  /** The class of {@code name}, or of a number of the same value ("1.0" finds the class "1", and back). */
  public OptionalInt idOf(String name) {
    Integer id = ids.get(name);
    if (id == null) {
      id = NumericLabel.value(name).map(idsByValue::get).orElse(null);
    }
    return id == null || id < 0 ? OptionalInt.empty() : OptionalInt.of(id);
  }

  public boolean contains(String name) {
    return idOf(name).isPresent();
  }

  /** {"labels": [names in id order]}. */
  public String toJson() {
    StringBuilder json = new StringBuilder("{\"labels\": [");
    for (int i = 0; i < names.size(); i++) {
      json.append(i == 0 ? "" : ", ").append(Json.quote(names.get(i)));
    }
    return json.append("]}").toString();
  }

  /** Reads what {@link #toJson} wrote. */
  public static LabelSet fromJson(String json) {
    Object parsed = Json.parse(json);
    if (parsed instanceof Map<?, ?> map && map.get("labels") instanceof List<?> list
        && list.stream().allMatch(v -> v instanceof String)) {
      List<String> names = new ArrayList<>();
      list.forEach(v -> names.add((String) v));
      return inOrder(names);
    }
    throw new VbLoraException("a label set is {\"labels\": [\"name\", ...]}, not " + json);
  }

  /** Writes the label set as JSON, replacing {@code file} in one step so a reader never sees half of it. */
  public void save(Path file) throws IOException {
    AtomicFile.writeString(file, toJson() + "\n");
  }

  public static LabelSet load(Path file) throws IOException {
    String json = Files.readString(file, StandardCharsets.UTF_8);
    try {
      return fromJson(json);
    } catch (JsonSyntaxException e) {
      throw new IOException("label set " + file + " is not valid JSON (" + e.getMessage()
          + "); it is written by training next to the adapter", e);
    } catch (IllegalArgumentException e) {
      throw new IOException("label set " + file + ": " + e.getMessage(), e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LabelSet other && names.equals(other.names);
  }

  @Override
  public int hashCode() {
    return names.hashCode();
  }

  @Override
  public String toString() {
    return names.toString();
  }
}
