package dev.finetune.vblora.data.io;

import dev.finetune.vblora.data.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The hidden file {@value #FILE} by which vblora knows the folders it wrote: {"tool": "vblora", "kind": ...}.
 *
 * <p>Why a file of its own: a folder's other contents prove nothing (a Hugging Face model folder holds a
 * config.json too, and was once wiped for it). {@code --overwrite} replaces only a folder whose marker names
 * the kind being written, so a user's folder is never taken for an output by accident.
 */
public final class OutputMarker {
  public static final String FILE = ".vblora-output.json";
  private static final String TOOL = "vblora";

  /** What a marked folder holds. */
  public enum Kind {
    RUN("run", "a vblora training run"),
    MERGED_MODEL("merged-model", "a merged model written by vblora"),
    ADAPTER("adapter", "an adapter written by vblora");

    private final String label;
    private final String description;

    Kind(String label, String description) {
      this.label = label;
      this.description = description;
    }

    /** The kind's name in the marker file. */
    public String label() {
      return label;
    }

    /** The kind in words, for messages ("a vblora training run"). */
    public String description() {
      return description;
    }
  }

  private OutputMarker() {}

  /** Marks {@code folder} as holding {@code kind}. */
  public static void write(Path folder, Kind kind) throws IOException {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("tool", TOOL);
    json.put("kind", kind.label());
    Files.writeString(folder.resolve(FILE), Json.toIndentedJson(json) + "\n", StandardCharsets.UTF_8);
  }

  /** The kind {@code folder}'s marker names; empty when there is no marker or it is not vblora's. */
  public static Optional<Kind> read(Path folder) {
    Path file = folder.resolve(FILE);
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      Map<String, Object> json = Json.parseObject(Files.readString(file, StandardCharsets.UTF_8));
      if (!TOOL.equals(json.get("tool"))) {
        return Optional.empty();
      }
      for (Kind kind : Kind.values()) {
        if (kind.label().equals(json.get("kind"))) {
          return Optional.of(kind);
        }
      }
      return Optional.empty();
    } catch (IOException | IllegalArgumentException e) { // unreadable or not JSON: not a marker of ours
      return Optional.empty();
    }
  }
}
