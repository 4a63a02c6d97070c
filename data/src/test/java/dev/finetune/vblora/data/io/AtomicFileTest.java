package dev.finetune.vblora.data.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.finetune.vblora.data.testing.RequiredInCi;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFileTest {
  @TempDir
  Path dir;

  private List<String> names() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void writesANewFileAndItsFolder() throws IOException {
    Path file = dir.resolve("run/metrics.json");
    AtomicFile.writeString(file, "{\"a\": 1}\n");
    assertEquals("{\"a\": 1}\n", Files.readString(file));
    assertEquals(List.of("run"), names());
  }

  @Test
  void replacesAnOldFileAndLeavesNoTemporaryFileBehind() throws IOException {
    Path file = dir.resolve("config.json");
    Files.writeString(file, "old");
    AtomicFile.writeString(file, "new");
    assertEquals("new", Files.readString(file));
    assertEquals(List.of("config.json"), names());
  }

  @Test
  void theFileGetsDefaultPermissionsNotTempOnes() throws IOException {
    RequiredInCi.assume(dir.getFileSystem().supportedFileAttributeViews().contains("posix"), "POSIX file system");
    Path plain = Files.createFile(dir.resolve("plain"));
    Path file = dir.resolve("metrics.json");
    AtomicFile.writeString(file, "{}");
    assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(file));
  }

  @Test
  void aWriterThatFailsPartWayLeavesTheOldFileAsItWas() throws IOException {
    Path file = dir.resolve("curves.png");
    Files.writeString(file, "old picture");
    IOException e = assertThrows(IOException.class, () -> AtomicFile.write(file, temp -> {
      Files.writeString(temp, "half a pict");
      throw new IOException("No space left on device");
    }));
    assertEquals("No space left on device", e.getMessage());
    assertEquals("old picture", Files.readString(file));
    assertEquals(List.of("curves.png"), names(), "the temporary file is removed");
  }
}
