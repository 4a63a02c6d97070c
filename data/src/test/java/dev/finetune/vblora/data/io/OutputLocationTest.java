package dev.finetune.vblora.data.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutputLocationTest {
  @TempDir
  Path dir;

  private String refused(Path output) {
    return assertThrows(IllegalArgumentException.class, () -> OutputLocation.requireWritable("out", output))
        .getMessage();
  }

  @Test
  void anOutputUnderAFileIsRefusedNamingTheOutputAndTheFile() throws Exception {
    Path file = Files.writeString(dir.resolve("notes.txt"), "mine");
    Path out = file.resolve("run/deeper");
    assertEquals("out " + out + " cannot be written there: " + file + " is a file, not a folder; choose another"
        + " out", refused(out));
  }

  /**
   * The folder's permission is judged by a stand-in for Files.isWritable: tests may run as root, who may write
   * anywhere, and a test skipped there would prove nothing in CI.
   */
  @Test
  void anOutputInAFolderWithoutWritePermissionIsRefused() throws Exception {
    Path locked = Files.createDirectories(dir.resolve("locked"));
    Path out = locked.resolve("run");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> OutputLocation.requireWritable("out", out, folder -> !folder.equals(locked)));
    assertEquals("out " + out + " cannot be written there: there is no permission to write in " + locked
        + "; choose another out", e.getMessage());
    Files.createDirectories(out);
    e = assertThrows(IllegalArgumentException.class,
        () -> OutputLocation.requireWritable("out", out, folder -> !folder.equals(out)));
    assertEquals("out " + out + " cannot be written there: there is no permission to write in " + out
        + "; choose another out", e.getMessage());
  }

  @Test
  void anOutputWhoseFoldersCanBeCreatedPasses() {
    OutputLocation.requireWritable("out", dir.resolve("a/b/run"));
    OutputLocation.requireWritable("out", dir);
  }
}
