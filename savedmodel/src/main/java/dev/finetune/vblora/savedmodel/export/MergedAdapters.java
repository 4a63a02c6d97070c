package dev.finetune.vblora.savedmodel.export;

import dev.finetune.vblora.data.Counted;
import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.data.io.OutputMarker;
import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.savedmodel.adapter.ToolMetadata;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * What a merged model records of the adapters merged into it, oldest first, in {@value #FILE}: so that merging
 * an adapter into a model that already holds it (its own RUN/merged, say) is refused instead of silently
 * applying the update twice, and stacking another adapter on top says what is underneath.
 *
 * <p>An adapter is known by a fingerprint of what it adds to the model (each kernel's update and the head), not
 * by its folder: train's merged/ and {@code vblora merge} of the same adapter from anywhere record the same
 * bytes, and a copy of the adapter, or the same weights saved by PEFT, is still recognised.
 */
public final class MergedAdapters {
  /**
   * {"adapters": [{"fingerprint", "kernels", "head", "task", "source_model", "text_pair_column"}]}; TF Serving ignores
   * assets.extra.
   */
  public static final String FILE = "assets.extra/vblora_merged.json";

  private MergedAdapters() {}

  /**
   * One merged adapter.
   *
   * @param fingerprint "sha256:" and the hex SHA-256 of the adapter's updates and head (see {@link #of})
   * @param kernels how many kernels it updates
   * @param head whether it added a task head
   * @param task "classification", "regression" or null, as the adapter recorded it
   * @param sourceModel the model the adapter was trained on, as it recorded it, or null
   * @param textPairColumn the data column of the second text when the adapter was trained on text pairs, or null
   */
  public record Entry(String fingerprint, int kernels, boolean head, String task, String sourceModel,
      String textPairColumn) {
    /** The adapter in words, for messages: its fingerprint, size, head and base model. */
    public String describe() {
      return "adapter " + fingerprint.substring(0, Math.min(fingerprint.length(), 19)) + "... ("
          + Counted.of(kernels, "kernel") + (head ? ", a " + (task == null ? "task" : task) + " head" : "")
          + (sourceModel == null ? "" : ", trained on " + sourceModel) + ")";
    }

    Map<String, Object> toJson() {
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("fingerprint", fingerprint);
      json.put("kernels", kernels);
      json.put("head", head);
      json.put("task", task);
      json.put("source_model", sourceModel);
      json.put(ToolMetadata.TEXT_PAIR_COLUMN, textPairColumn); // the adapter's own key for it
      return json;
    }

    static Entry fromJson(Map<String, Object> json) {
      return new Entry(Json.getString(json, "fingerprint"), Json.getInt(json, "kernels"),
          Json.getBoolean(json, "head"), json.get("task") instanceof String t ? t : null,
          json.get("source_model") instanceof String s ? s : null,
          json.get(ToolMetadata.TEXT_PAIR_COLUMN) instanceof String p ? p : null);
    }
  }

  /** The record of {@code adapter}: its fingerprint and what it holds. */
  public static Entry of(AdapterDeltas adapter) {
    return new Entry(fingerprint(adapter), adapter.deltas().size(), adapter.head().isPresent(), adapter.task(),
        adapter.sourceModel(), adapter.textPairColumn());
  }

  /** The adapters {@code model} records as merged into it, oldest first; empty for any other model. */
  public static List<Entry> read(Path model) throws IOException {
    Path file = model.resolve(FILE);
    if (!Files.isRegularFile(file)) {
      return List.of();
    }
    try {
      List<Entry> entries = new ArrayList<>();
      for (Object entry : Json.getArray(Json.parseObject(Files.readString(file, StandardCharsets.UTF_8)),
          "adapters")) {
        entries.add(Entry.fromJson(Json.asObject(entry, "an entry of " + file)));
      }
      return entries;
    } catch (IllegalArgumentException e) {
      throw new VbLoraException(file + " is damaged (" + e.getMessage() + "); it is vblora's record of the"
          + " adapters merged into " + model + ": merge again from the base model", e);
    }
  }

  /**
   * Checks that {@code adapter} may be merged into {@code model}, before anything is written: refused when the
   * model records it as merged in already; a warning for {@code warnings} when the model holds other adapters
   * (the updates add up, which is what stacking means, but rarely what was meant), or is a merged model vblora
   * wrote before it kept this record; no warning when the adapter was trained on {@code model} itself.
   *
   * @return the model's earlier entries, to which the merged model adds {@code adapter}'s
   * @throws VbLoraException when {@code model} already holds {@code adapter}
   */
  static List<Entry> check(Path model, Entry adapter, Path adapterDir, Consumer<String> warnings)
      throws IOException {
    List<Entry> earlier = read(model);
    String base = adapter.sourceModel() == null ? "the base model the adapter was trained on"
        : "its base model, " + adapter.sourceModel();
    for (Entry entry : earlier) {
      if (entry.fingerprint().equals(adapter.fingerprint())) {
        throw new VbLoraException(model + " already has this adapter merged in (" + model.resolve(FILE)
            + " records " + entry.describe() + "); merging " + (adapterDir == null ? "it" : adapterDir)
            + " again would apply its update twice: merge it into " + base + " instead");
      }
    }
    if (trainedOn(adapter, model)) {
      return earlier; // trained on this merged model: stacking on it is what the adapter was made for
    }
    if (!earlier.isEmpty()) {
      warnings.accept(holding(model, earlier) + "; the new adapter's update is added on top of it (stacked). To"
          + " serve the new adapter alone, merge it into " + base);
    } else if (unrecorded(model, earlier)) {
      warnings.accept(model + " is a merged model written by vblora, but by a version that did not record which"
          + " adapter it holds; if that is this adapter, its update is now applied twice: merge it into " + base
          + " instead");
    }
    return earlier;
  }

  /** "MODEL is a merged model that already holds ADAPTER (and N earlier)", for messages; {@code held} not empty. */
  public static String holding(Path model, List<Entry> held) {
    return model + " is a merged model that already holds " + held.get(held.size() - 1).describe()
        + (held.size() > 1 ? " and " + (held.size() - 1) + " earlier" : "");
  }

  /**
   * Whether {@code model}, whose record lists {@code held} ({@link #read}), is a merged model of a vblora that kept
   * no record of the adapters in it.
   */
  public static boolean unrecorded(Path model, List<Entry> held) {
    return held.isEmpty() && OutputMarker.read(model).filter(k -> k == OutputMarker.Kind.MERGED_MODEL).isPresent();
  }

  /** Whether {@code adapter} records {@code model} itself (the same folder) as the model it was trained on. */
  private static boolean trainedOn(Entry adapter, Path model) {
    if (adapter.sourceModel() == null) {
      return false;
    }
    try {
      return Files.isSameFile(Path.of(adapter.sourceModel()), model);
    } catch (IOException | InvalidPathException e) {
      return false; // a built-in name, or a folder that is not there (any more): not this model
    }
  }

  /** Writes the record of a merged model: {@code earlier} and then {@code adapter}. */
  static void write(Path mergedModel, List<Entry> earlier, Entry adapter) throws IOException {
    List<Object> entries = new ArrayList<>();
    earlier.forEach(e -> entries.add(e.toJson()));
    entries.add(adapter.toJson());
    Path file = mergedModel.resolve(FILE);
    Files.createDirectories(file.getParent());
    Files.writeString(file, Json.toIndentedJson(Map.of("adapters", entries)) + "\n", StandardCharsets.UTF_8);
  }

  /**
   * SHA-256 of what the adapter adds to the model: each kernel's update (by variable name, in name order, with
   * its shape) and the head's weights and placement. Two folders holding the same adapter give the same value
   * whatever their paths, file layout or metadata; any changed weight gives another.
   */
  static String fingerprint(AdapterDeltas adapter) {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
    for (Map.Entry<String, float[][]> delta : new TreeMap<>(adapter.deltas()).entrySet()) {
      text(sha, "kernel " + delta.getKey());
      floats(sha, delta.getValue());
    }
    Optional<HeadWeights> head = adapter.head();
    if (head.isPresent()) {
      HeadWeights h = head.get();
      text(sha, "head " + h.inputOutputKey() + " " + h.pooling() + " " + h.maskInput() + " " + h.classification());
      floats(sha, h.kernel());
      floats(sha, new float[][] {h.bias()});
    }
    return "sha256:" + HexFormat.of().formatHex(sha.digest());
  }

  private static void text(MessageDigest sha, String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    sha.update(ByteBuffer.allocate(4).putInt(bytes.length).array());
    sha.update(bytes);
  }

  private static void floats(MessageDigest sha, float[][] rows) {
    ByteBuffer buffer = ByteBuffer.allocate(8 + 4 * (rows.length == 0 ? 0 : rows[0].length));
    buffer.putInt(rows.length).putInt(rows.length == 0 ? 0 : rows[0].length);
    sha.update(buffer.array(), 0, 8);
    for (float[] row : rows) {
      buffer.clear();
      if (buffer.capacity() < 4 * row.length) {
        buffer = ByteBuffer.allocate(4 * row.length);
      }
      for (float v : row) {
        buffer.putFloat(v);
      }
      sha.update(buffer.array(), 0, buffer.position());
    }
  }
}
