package dev.finetune.vblora.data.io;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A child process for {@link AtomicDirectoryWriterTest}: starts writing the folder named by its argument, says
 * "writing" on stdout, and waits to be killed in the middle of the write.
 */
public final class AbandonedWrite {
  private AbandonedWrite() {}

  public static void main(String[] args) throws Exception {
    AtomicDirectoryWriter.write(Path.of(args[0]), false, folder -> {
      Files.write(folder.resolve("weights.bin"), new byte[1 << 20]);
      System.out.println("writing");
      System.out.flush();
      try {
        Thread.sleep(Long.MAX_VALUE);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
  }
}
