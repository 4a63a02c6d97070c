package dev.finetune.vblora.data.io;

import dev.finetune.vblora.data.error.InvalidSettingException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Refuses an output that is an input, lies inside one, or (when it replaces what is there) contains one.
 * Each of these once destroyed a user's file: merge with {@code --out} equal to {@code --model} replaced the base
 * model, eval's predictions overwrote its data file, and train {@code --overwrite} deleted a {@code --train}
 * file kept inside {@code --out} before it read it.
 *
 * <p>Paths are compared after resolving symbolic links of the part that exists, so two spellings of one
 * folder are the same folder.
 */
public final class OutputOverlap {
  private OutputOverlap() {}

  /**
   * @param outputName the output as the user named it (e.g. "--out"), for the message
   * @param inputs every input by the name the user knows it by (e.g. "--model"); null paths are skipped
   * @param replacing whether the output's current contents are to be deleted (an overwrite): only then is an
   *     input inside it lost
   * @throws IllegalArgumentException naming the output, the input and what to do
   */
  public static void check(String outputName, Path output, Map<String, Path> inputs, boolean replacing) {
    Path out = canonical(output);
    inputs.forEach((name, path) -> {
      if (path == null) {
        return;
      }
      Path in = canonical(path);
      if (out.equals(in)) {
        throw new InvalidSettingException(List.of(outputName, name), outputName + " " + output + " is the input " + name + "; an output"
            + " must not be written over an input: choose another " + outputName);
      }
      if (out.startsWith(in)) {
        throw new InvalidSettingException(List.of(outputName, name), outputName + " " + output + " lies inside the input " + name + " "
            + path + ", and writing there would change that input: choose " + outputName + " outside it");
      }
      if (replacing && in.startsWith(out)) {
        throw new InvalidSettingException(List.of(outputName, name), outputName + " " + output + " contains the input " + name + " " + path
            + ", which replacing " + output + " would delete: move the input elsewhere or choose another "
            + outputName);
      }
    });
  }

  /** The absolute path with the symbolic links of its longest existing part resolved. */
  static Path canonical(Path path) {
    Path absolute = path.toAbsolutePath().normalize();
    Path existing = absolute;
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing == null) {
      return absolute;
    }
    try {
      return existing.toRealPath().resolve(existing.relativize(absolute));
    } catch (IOException e) {
      return absolute; // unreadable: compare as spelled
    }
  }
}
