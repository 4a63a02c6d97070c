package dev.finetune.vblora.data.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.data.error.InvalidSettingException;
import dev.finetune.vblora.data.testing.RequiredInCi;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
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

  /**
   * A parent where no folder can be made (Linux's /proc refuses even root) is named with the file system's reason,
   * or the kind of refusal when it gives none: the message used to read "(null in /proc)".
   */
  @Test
  void aParentThatRefusesNewFoldersIsNamedWithAReasonNeverNull() {
    Path proc = Path.of("/proc");
    RequiredInCi.assume(Files.isDirectory(proc.resolve("self")), "Linux's /proc");
    Path target = proc.resolve("vblora-test-out");
    IOException e = assertThrows(IOException.class, () -> AtomicDirectoryWriter.write(target, false,
        folder -> Files.writeString(folder.resolve("a.txt"), "new")));
    assertTrue(e.getMessage().startsWith("could not write " + target + " ("), e.getMessage());
    assertTrue(e.getMessage().endsWith(" in " + proc + "); choose another output folder"), e.getMessage());
    assertFalse(e.getMessage().contains("null"), e.getMessage());
  }

  @Test
  void anExistingFolderIsKeptWithoutOverwrite() throws IOException {
    writeOld();
    OutputFolderExistsException e = assertThrows(OutputFolderExistsException.class,
        () -> AtomicDirectoryWriter.write(target, false, folder -> Files.writeString(folder.resolve("a"), "x")));
    assertEquals("output folder " + target.toAbsolutePath() + " exists; set overwrite to replace it, or choose"
        + " another folder", e.getMessage());
    assertEquals(java.util.Optional.of("overwrite"), e.setting());
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
  void overwriteOfAKindReplacesOnlyAFolderMarkedAsThatKind() throws IOException {
    AtomicDirectoryWriter.write(target, OutputMarker.Kind.ADAPTER, false, f -> Files.writeString(f.resolve("a"), "1"));
    AtomicDirectoryWriter.write(target, OutputMarker.Kind.ADAPTER, true, f -> Files.writeString(f.resolve("a"), "2"));
    assertEquals("2", Files.readString(target.resolve("a")));
    assertEquals(List.of(OutputMarker.FILE, "a"), list(target));
    assertEquals(List.of("out"), siblings());
  }

  /** Without overwrite, a user's folder is refused without suggesting overwrite, which would be refused as well. */
  @Test
  void aUsersFolderIsRefusedWithoutOfferingOverwrite() throws IOException {
    Files.createDirectories(target);
    Files.writeString(target.resolve("model.safetensors"), "the user's weights");
    OutputFolderExistsException e = assertThrows(OutputFolderExistsException.class, () -> AtomicDirectoryWriter.write(
        target, OutputMarker.Kind.MERGED_MODEL, false, f -> Files.writeString(f.resolve("saved_model.pb"), "x")));
    assertEquals("output folder " + target.toAbsolutePath() + " exists and holds files vblora did not write (it has"
        + " no " + OutputMarker.FILE + "); choose another folder", e.getMessage());
    assertEquals(List.of("model.safetensors"), list(target));
    // vblora's output of another kind is not "files vblora did not write"
    Path adapter = parent.resolve("adapter");
    AtomicDirectoryWriter.write(adapter, OutputMarker.Kind.ADAPTER, false, f -> Files.writeString(f.resolve("a"), "1"));
    OutputFolderExistsException other = assertThrows(OutputFolderExistsException.class, () -> AtomicDirectoryWriter
        .write(adapter, OutputMarker.Kind.MERGED_MODEL, false, f -> Files.writeString(f.resolve("b"), "2")));
    assertEquals("output folder " + adapter.toAbsolutePath() + " exists and holds an adapter written by vblora, not"
        + " a merged model written by vblora; choose another folder", other.getMessage());
  }

  @Test
  void overwriteOfAKindLeavesAUsersFolderByteForByte() throws IOException {
    Files.createDirectories(target);
    Files.writeString(target.resolve("config.json"), "{\"architectures\": [\"BertModel\"]}");
    Files.writeString(target.resolve("model.safetensors"), "the user's weights");
    InvalidSettingException e = assertThrows(InvalidSettingException.class, () -> AtomicDirectoryWriter.write(
        target, OutputMarker.Kind.MERGED_MODEL, true, f -> Files.writeString(f.resolve("saved_model.pb"), "merged")));
    assertEquals("overwrite does not replace " + target.toAbsolutePath() + ": it has no " + OutputMarker.FILE
        + ", so vblora did not write it (or an older vblora that did not mark its outputs); choose another output"
        + " folder, or delete this one yourself if nothing in it is needed", e.getMessage());
    assertEquals(List.of("config.json", "model.safetensors"), list(target));
    assertEquals("the user's weights", Files.readString(target.resolve("model.safetensors")));
    assertEquals(List.of("out"), siblings(), "no temp folder was even started");
  }

  @Test
  void overwriteOfAKindRefusesAnotherKindOfOutput() throws IOException {
    AtomicDirectoryWriter.write(target, OutputMarker.Kind.RUN, false, f -> Files.writeString(f.resolve("r"), "run"));
    InvalidSettingException e = assertThrows(InvalidSettingException.class, () -> AtomicDirectoryWriter.write(
        target, OutputMarker.Kind.ADAPTER, true, f -> Files.writeString(f.resolve("a"), "adapter")));
    assertTrue(e.getMessage().contains("holds a vblora training run, not an adapter written by vblora"),
        e.getMessage());
    assertEquals(List.of(OutputMarker.FILE, "r"), list(target));
  }

  @Test
  void overwriteOfAKindMayFillAnEmptyFolder() throws IOException {
    Files.createDirectories(target);
    AtomicDirectoryWriter.write(target, OutputMarker.Kind.ADAPTER, true, f -> Files.writeString(f.resolve("a"), "1"));
    assertEquals(List.of(OutputMarker.FILE, "a"), list(target));
  }

  /**
   * A writer killed with SIGKILL mid-write leaves its hidden temp folder; the next write of the same target
   * removes it. Another writer's live temp folder and a user's folder that merely looks like one stay.
   */
  @Test
  void theTempFolderOfAKilledWriterIsRemovedByTheNextWriteOfTheSameTarget() throws Exception {
    Process child = writingChild();
    child.destroyForcibly(); // SIGKILL: no finally block, no shutdown hook runs
    child.waitFor();
    List<String> left = siblings();
    assertEquals(1, left.size(), "the killed write left its temp folder: " + left);
    assertTrue(left.get(0).startsWith(".out.tmp-"), left.toString());

    Path users = Files.createDirectories(parent.resolve(".out.tmp-mine"));
    Files.writeString(users.resolve("notes.txt"), "not vblora's");
    Path live = Files.createDirectories(parent.resolve(".out.tmp-live"));
    Files.writeString(live.resolve(AtomicDirectoryWriter.WRITER_FILE), "vblora " + ProcessHandle.current().pid());

    AtomicDirectoryWriter.write(target, false, folder -> Files.writeString(folder.resolve("a"), "x"));
    assertEquals(List.of(".out.tmp-live", ".out.tmp-mine", "out"), siblings());
    assertEquals(List.of("a"), list(target), "no bookkeeping file is left in the output");
  }

  /** Ctrl-C or SIGTERM runs the JVM's shutdown hooks: the interrupted write removes its own temp folder. */
  @Test
  void aWriterStoppedBySigtermRemovesItsTempFolderOnTheWayOut() throws Exception {
    Process child = writingChild();
    child.destroy(); // SIGTERM, as Ctrl-C's SIGINT: the shutdown hooks run
    child.waitFor();
    assertEquals(List.of(), siblings(), "nothing of the stopped write is left");
  }

  /** A child process ({@link AbandonedWrite}) in the middle of writing {@code target}. */
  private Process writingChild() throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        AbandonedWrite.class.getName(), target.toString()).redirectErrorStream(true).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
    assertEquals("writing", out.readLine());
    return child;
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
