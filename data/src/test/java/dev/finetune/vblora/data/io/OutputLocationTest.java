package dev.finetune.vblora.data.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
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

  @Test
  void anOutputInAFolderWithoutWritePermissionIsRefused() throws Exception {
    Path locked = Files.createDirectories(dir.resolve("locked"));
    Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("r-xr-xr-x"));
    try {
      assumeFalse(Files.isWritable(locked), "root may write anywhere");
      Path out = locked.resolve("run");
      assertEquals("out " + out + " cannot be written there: there is no permission to write in " + locked
          + "; choose another out", refused(out));
    } finally {
      Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
  }

  @Test
  void anOutputWhoseFoldersCanBeCreatedPasses() {
    OutputLocation.requireWritable("out", dir.resolve("a/b/run"));
    OutputLocation.requireWritable("out", dir);
  }
}
