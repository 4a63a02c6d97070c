package dev.finetune.vblora.data.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;

/**
 * Writes one file so that readers see either the old file or the complete new one: the content goes to a
 * temporary file in the same folder, is flushed to the disk, and is then renamed over the target. A failure
 * part-way (a full disk, an exception in the writer, a killed process before the rename) leaves the old file
 * as it was; the temporary file is removed unless the process dies. Folders of several files have
 * AtomicDirectoryWriter (this package) instead.
 */
public final class AtomicFile {
  private static final SecureRandom RANDOM = new SecureRandom();

  private AtomicFile() {}

  /** Writes {@code file}'s content through a path. */
  @FunctionalInterface
  public interface Content {
    /** Writes the whole content to {@code temp} (which exists, empty). */
    void writeTo(Path temp) throws IOException;
  }

  /** Replaces {@code file} with {@code text} in UTF-8, creating its folder if needed. */
  public static void writeString(Path file, String text) throws IOException {
    write(file, temp -> Files.writeString(temp, text, StandardCharsets.UTF_8));
  }

  /** Replaces {@code file} with what {@code content} writes, creating its folder if needed. */
  public static void write(Path file, Content content) throws IOException {
    Path target = file.toAbsolutePath();
    Path dir = target.getParent();
    Files.createDirectories(dir);
    Path temp = createUniqueFile(dir, "." + target.getFileName() + ".");
    try {
      content.writeTo(temp);
      try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        channel.force(true);
      }
      try {
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        // Some file systems cannot rename atomically; a plain replace is the best they offer.
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /**
   * A new empty file with the file system's default permissions: Files.createTempFile would make it owner-only,
   * and the target keeps the temporary file's permissions after the rename (metrics.json unreadable to the group
   * that reads the rest of the run's outputs).
   */
  private static Path createUniqueFile(Path dir, String prefix) throws IOException {
    while (true) {
      try {
        return Files.createFile(dir.resolve(prefix + Long.toUnsignedString(RANDOM.nextLong(), 36) + ".tmp"));
      } catch (FileAlreadyExistsException e) {
        // lost a race for the name; draw another
      }
    }
  }
}
