package dev.finetune.vblora.savedmodel.adapter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.ops.testing.RequiredInCi;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicDirectoryWriterTest {
  @TempDir
  Path parent;

  private Path target;

  @BeforeEach
  void setUp() {
    target = parent.resolve("out");
  }

  @Test
  void writesANewFolderAndLeavesNoTempBehind() throws IOException {
    AtomicDirectoryWriter.write(target, false, folder -> {
      Files.writeString(folder.resolve("a.txt"), "new");
      Files.createDirectories(folder.resolve("sub"));
      Files.writeString(folder.resolve("sub/b.txt"), "nested");
    });
    assertEquals("new", Files.readString(target.resolve("a.txt")));
    assertEquals("nested", Files.readString(target.resolve("sub/b.txt")));
    assertEquals(List.of("out"), siblings());
  }

  @Test
  void theFolderGetsDefaultPermissionsNotTempOnes() throws IOException {
    RequiredInCi.assume(parent.getFileSystem().supportedFileAttributeViews().contains("posix"),
        "POSIX file system");
    Path plain = Files.createDirectory(parent.resolve("plain"));
    AtomicDirectoryWriter.write(target, false, folder -> Files.writeString(folder.resolve("a"), "x"));
    assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(target));
  }

  @Test
  void anExistingFolderIsKeptWithoutOverwrite() throws IOException {
    writeOld();
    OutputFolderExistsException e = assertThrows(OutputFolderExistsException.class,
        () -> AtomicDirectoryWriter.write(target, false, folder -> Files.writeString(folder.resolve("a"), "x")));
    assertEquals("output folder " + target.toAbsolutePath() + " exists; pass --overwrite", e.getMessage());
    assertOldIntact();
  }

  @Test
  void overwriteReplacesTheWholeFolder() throws IOException {
    writeOld();
    AtomicDirectoryWriter.write(target, true, folder -> Files.writeString(folder.resolve("new.txt"), "new"));
    assertEquals("new", Files.readString(target.resolve("new.txt")));
    assertFalse(Files.exists(target.resolve("old.txt")), "nothing of the old folder is left");
    assertEquals(List.of("out"), siblings());
  }

  @Test
  void aFailureMidwayLeavesTheOldFolderAndNoTemp() throws IOException {
    writeOld();
    IOException failure = new IOException("simulated failure after the first file");
    IOException e = assertThrows(IOException.class, () -> AtomicDirectoryWriter.write(target, true, folder -> {
      Files.writeString(folder.resolve("adapter_config.json"), "{}");
      throw failure;
    }));
    assertSame(failure, e);
    assertOldIntact();
    assertEquals(List.of("out"), siblings());
  }

  @Test
  void aFailureOnANewTargetLeavesNothing() throws IOException {
    assertThrows(IllegalStateException.class, () -> AtomicDirectoryWriter.write(target, false, folder -> {
      Files.writeString(folder.resolve("half.bin"), "half");
      throw new IllegalStateException("simulated bug");
    }));
    assertFalse(Files.exists(target));
    assertEquals(List.of(), siblings());
  }

  @Test
  void diskFullIsReportedPlainly() throws IOException {
    IOException e = assertThrows(IOException.class, () -> AtomicDirectoryWriter.write(target, false, folder -> {
      throw new IOException("No space left on device");
    }));
    assertTrue(e.getMessage().startsWith("not enough disk space to write " + target.toAbsolutePath()),
        e.getMessage());
    assertTrue(e.getMessage().contains("No space left on device"), e.getMessage());
    assertEquals(List.of(), siblings());
  }

  @Test
  void aFileInTheWayIsNotReplaced() throws IOException {
    Files.writeString(target, "a file");
    IOException e = assertThrows(IOException.class,
        () -> AtomicDirectoryWriter.write(target, true, folder -> { }));
    assertTrue(e.getMessage().contains("is not a folder"), e.getMessage());
    assertEquals("a file", Files.readString(target));
  }

  @Test
  void adapterFolderWritesGoThroughIt() throws IOException {
    LoraAdapter adapter = LoraAdapter.of(PeftLoraConfig.builder().r(1).build(),
        List.of(LoraModule.of("m", new float[][] {{1}}, new float[][] {{2}})));
    adapter.write(target, false);
    assertThrows(OutputFolderExistsException.class, () -> adapter.write(target, false));
    adapter.write(target, true);
    assertEquals(List.of(AdapterConfig.FILE_NAME, AdapterFolder.WEIGHTS_FILE), list(target));
  }

  private void writeOld() throws IOException {
    Files.createDirectories(target);
    Files.writeString(target.resolve("old.txt"), "old");
  }

  private void assertOldIntact() throws IOException {
    assertEquals(List.of("old.txt"), list(target));
    assertEquals("old", Files.readString(target.resolve("old.txt")));
  }

  private List<String> siblings() throws IOException {
    return list(parent);
  }

  private static List<String> list(Path folder) throws IOException {
    try (Stream<Path> entries = Files.list(folder)) {
      return entries.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
