package dev.finetune.vblora.training.checkpoint;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** fsync for files and folders, so that an atomic rename never publishes data still in the page cache. */
final class Durable {
  private Durable() {}

  static void force(Path file) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
      channel.force(true);
    }
  }

  /** Best effort: some platforms cannot open a folder as a channel, and the rename is atomic anyway. */
  static void forceFolder(Path dir) {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // nothing more can be done here; the data files themselves were forced
    }
  }
}
