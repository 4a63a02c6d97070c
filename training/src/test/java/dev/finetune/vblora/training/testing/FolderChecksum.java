package dev.finetune.vblora.training.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * SHA-256 over every path under the given files and folders (hidden ones included) with each file's content:
 * equal before and after a command means the command left them exactly as they were, byte for byte, and
 * added or removed nothing.
 */
public final class FolderChecksum {
  private FolderChecksum() {}

  public static String of(Path... paths) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (Path root : paths) {
        sha.update(("root " + root + "\n").getBytes(StandardCharsets.UTF_8));
        if (!Files.exists(root)) {
          sha.update("absent\n".getBytes(StandardCharsets.UTF_8));
          continue;
        }
        List<Path> entries;
        try (Stream<Path> walk = Files.walk(root)) {
          entries = walk.sorted().toList();
        }
        for (Path entry : entries) {
          boolean file = Files.isRegularFile(entry);
          sha.update(((file ? "file " : "dir ") + root.relativize(entry) + "\n").getBytes(StandardCharsets.UTF_8));
          if (file) {
            sha.update(Files.readAllBytes(entry));
          }
        }
      }
      return HexFormat.of().formatHex(sha.digest());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
