package dev.finetune.vblora.data.io;

import dev.finetune.vblora.data.error.InvalidSettingException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Predicate;

/**
 * Whether an output can be written where it is named, checked before any work: a read-only folder used to be
 * found only when the first file was written, after the model had been loaded and the graph built, and was then
 * reported in the operating system's words about a hidden temporary path.
 */
public final class OutputLocation {
  private OutputLocation() {}

  /**
   * Refuses {@code output} when the folder it would be created in (its nearest existing ancestor) is a file or
   * not writable, or when it is an existing folder that is not writable.
   *
   * @param setting the output's name as the caller's user knows it ("out", or an option such as
   *     "--predictions-out"), for the message
   * @throws InvalidSettingException naming the output, the folder and what to do
   */
  public static void requireWritable(String setting, Path output) {
    requireWritable(setting, output, Files::isWritable);
  }

  /** As {@link #requireWritable(String, Path)}, with {@code writable} judging the folders (tests run as root). */
  static void requireWritable(String setting, Path output, Predicate<Path> writable) {
    Path absolute = output.toAbsolutePath().normalize();
    Path existing = absolute.getParent();
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing == null) {
      return; // nothing on the way exists: the write itself will say why
    }
    if (!Files.isDirectory(existing)) {
      throw refused(setting, output, existing + " is a file, not a folder");
    }
    if (!writable.test(existing)) {
      throw refused(setting, output, why(existing));
    }
    if (Files.isDirectory(absolute) && !writable.test(absolute)) {
      throw refused(setting, output, why(absolute));
    }
  }

  private static String why(Path folder) {
    return readOnlyFileSystem(folder) ? folder + " is on a read-only file system"
        : "there is no permission to write in " + folder;
  }

  private static boolean readOnlyFileSystem(Path folder) {
    try {
      return Files.getFileStore(folder).isReadOnly();
    } catch (IOException e) {
      return false;
    }
  }

  private static InvalidSettingException refused(String setting, Path output, String why) {
    return new InvalidSettingException(setting, setting + " " + output + " cannot be written there: " + why
        + "; choose another " + setting);
  }
}
