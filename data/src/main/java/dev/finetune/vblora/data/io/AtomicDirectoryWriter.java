package dev.finetune.vblora.data.io;

import dev.finetune.vblora.data.error.InvalidSettingException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.SecureRandom;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Writes a folder all or nothing: the contents go into a hidden sibling temp folder, every file is fsynced,
 * and only then is the temp folder renamed into place (ATOMIC_MOVE, same file system). A failure at any point
 * before the rename leaves an existing target untouched and removes the temp folder.
 *
 * <p>Replacing an existing folder (only with overwrite) takes two renames, because POSIX cannot rename a
 * folder over a non-empty one: the old folder is first renamed aside, then the new one into place, then the
 * old one deleted; if the second rename fails the old folder is renamed back. Between the two renames the
 * target briefly does not exist, but it is never half-written.
 *
 * <p>A process killed mid-write leaves a hidden {@code .<name>.tmp-*} folder next to the target (for a merged
 * BERT-base, ~500 MB). While it is written the temp folder holds {@value #WRITER_FILE} with the writer's
 * process id; the next write of the same target deletes every such folder whose writer is gone. A folder is
 * deleted only when both its name and that file are ours, so nothing a user made is ever touched.
 */
public final class AtomicDirectoryWriter {
  /** Writes the folder's contents into the folder it is given (new; empty but for hidden bookkeeping). */
  @FunctionalInterface
  public interface Contents {
    void writeInto(Path folder) throws IOException;
  }

  /** In a temp folder while it is written: "vblora PID", whose process owns it. */
  static final String WRITER_FILE = ".vblora-writing";
  private static final String WRITER_TAG = "vblora ";
  private static final String TEMP_INFIX = ".tmp-";
  private static final SecureRandom RANDOM = new SecureRandom();

  private AtomicDirectoryWriter() {}

  /**
   * Writes {@code target} with {@code contents}, replacing whatever folder is there when {@code overwrite} is
   * set. For folders inside a tree the caller owns (a run's checkpoints); outputs a user names are written with
   * {@link #write(Path, OutputMarker.Kind, boolean, Contents)}, which replaces only what vblora made.
   *
   * @throws OutputFolderExistsException when {@code target} exists and {@code overwrite} is false
   * @throws IOException when writing fails; "No space left on device" is reported as a disk-full message
   */
  public static void write(Path target, boolean overwrite, Contents contents) throws IOException {
    write(target, null, overwrite, contents);
  }

  /**
   * Writes {@code target} with {@code contents} and marks it as {@code kind} ({@link OutputMarker}).
   * {@code overwrite} replaces an existing folder only when it is empty or marked as the same kind: anything
   * else is refused before any work, and again just before the swap.
   *
   * @throws OutputFolderExistsException when {@code target} exists and {@code overwrite} is false
   * @throws IOException when {@code target} may not be replaced, or writing fails
   */
  public static void write(Path target, OutputMarker.Kind kind, boolean overwrite, Contents contents)
      throws IOException {
    Path folder = target.toAbsolutePath().normalize();
    Path parent = folder.getParent();
    if (parent == null) {
      throw new IOException("cannot write the file-system root " + folder + " as an output folder");
    }
    checkTarget(folder, kind, overwrite);
    Files.createDirectories(parent);
    String name = folder.getFileName().toString();
    removeAbandonedTemps(folder);
    Path temp;
    try {
      temp = createUniqueFolder(parent, "." + name + TEMP_INFIX);
    } catch (FileSystemException e) {
      // Its name is ours, not the user's: say which output could not be written.
      throw new IOException("could not write " + folder + " (" + reason(e) + " in " + parent
          + "); choose another output folder", e);
    }
    // Ctrl-C (SIGINT, SIGTERM) ends the JVM without unwinding this method: the hook removes the temp folder then.
    Thread discardOnExit = new Thread(() -> discardOnExit(temp), "vblora-discard-" + name);
    Runtime.getRuntime().addShutdownHook(discardOnExit);
    try {
      Files.writeString(temp.resolve(WRITER_FILE), WRITER_TAG + ProcessHandle.current().pid() + "\n");
      contents.writeInto(temp);
      if (kind != null) {
        OutputMarker.write(temp, kind);
      }
      Files.delete(temp.resolve(WRITER_FILE));
      syncTree(temp);
      checkTarget(folder, kind, overwrite); // it may have appeared meanwhile
      moveIntoPlace(temp, folder, parent, name);
    } catch (IOException e) {
      deleteQuietly(temp, e);
      IOException explained = explained(e, folder, temp);
      throw explained != null ? explained : e;
    } catch (RuntimeException | Error e) {
      deleteQuietly(temp, e);
      IOException explained = explained(e, folder, temp);
      if (explained != null) {
        throw explained;
      }
      throw e;
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(discardOnExit);
      } catch (IllegalStateException shuttingDown) {
        // The JVM is exiting and the hook runs or has run.
      }
    }
    syncDirectory(parent);
  }

  /**
   * Deletes a temp folder at JVM exit while the writing thread may still be adding files to it: everything but
   * the writer file first, then that file and the folder. Should a late file keep the folder, the writer file is
   * written back, so that the next write of the target still finds the folder abandoned and deletes it.
   */
  private static void discardOnExit(Path temp) {
    Path writer = temp.resolve(WRITER_FILE);
    try (Stream<Path> entries = Files.list(temp)) {
      for (Path entry : entries.filter(p -> !p.equals(writer)).toList()) {
        deleteTree(entry);
      }
      Files.deleteIfExists(writer);
      Files.delete(temp);
    } catch (IOException | UncheckedIOException e) {
      try {
        if (Files.isDirectory(temp)) {
          Files.writeString(writer, WRITER_TAG + ProcessHandle.current().pid() + "\n");
        }
      } catch (IOException ignored) {
        // Nothing more can be done at exit; the folder stays hidden beside the target.
      }
    }
  }

  /**
   * Deletes the temp folders of earlier writes of {@code target} whose writer process is gone (killed
   * mid-write): hidden siblings named {@code .<name>.tmp-*} that hold {@value #WRITER_FILE}. Writes call it
   * themselves; a caller that writes into {@code target} in place calls it before it starts.
   */
  public static void removeAbandonedTemps(Path target) throws IOException {
    Path folder = target.toAbsolutePath().normalize();
    Path parent = folder.getParent();
    if (parent == null || !Files.isDirectory(parent)) {
      return;
    }
    String prefix = "." + folder.getFileName() + TEMP_INFIX;
    List<Path> abandoned;
    try (Stream<Path> siblings = Files.list(parent)) {
      abandoned = siblings.filter(p -> p.getFileName().toString().startsWith(prefix))
          .filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))
          .filter(AtomicDirectoryWriter::writerIsGone)
          .toList();
    }
    for (Path temp : abandoned) {
      deleteTree(temp);
    }
  }

  /** Whether {@code temp} holds our writer file and the process it names no longer runs. */
  private static boolean writerIsGone(Path temp) {
    Path file = temp.resolve(WRITER_FILE);
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    try {
      String text = Files.readString(file).strip();
      if (!text.startsWith(WRITER_TAG)) {
        return false;
      }
      long pid = Long.parseLong(text.substring(WRITER_TAG.length()));
      return ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true);
    } catch (IOException | NumberFormatException e) {
      return false; // not a file we wrote: leave the folder alone
    }
  }

  private static void checkTarget(Path folder, OutputMarker.Kind kind, boolean overwrite) throws IOException {
    if (!Files.exists(folder)) {
      return;
    }
    if (!Files.isDirectory(folder)) {
      throw new IOException("output path " + folder + " exists and is not a folder; remove it or choose another");
    }
    if (!overwrite) {
      // Where overwrite would be refused too (not this kind of vblora output), the message offers another folder.
      Optional<OutputMarker.Kind> marked = OutputMarker.read(folder);
      boolean replaceable = kind == null || marked.filter(kind::equals).isPresent() || isEmpty(folder);
      throw replaceable ? new OutputFolderExistsException(folder.toString())
          : OutputFolderExistsException.notReplaceable(folder.toString(), kind, marked);
    }
    if (kind != null) {
      requireReplaceable(folder, kind);
    }
  }

  /**
   * Refuses to replace {@code folder} unless it is empty or marked as {@code kind}: an overwrite replaces only
   * what vblora made.
   */
  public static void requireReplaceable(Path folder, OutputMarker.Kind kind) throws IOException {
    Optional<String> why = whyNotReplaceable(folder, kind);
    if (why.isPresent()) {
      throw new InvalidSettingException("overwrite", "overwrite does not replace " + folder + ": " + why.get());
    }
  }

  /**
   * Why vblora may not replace {@code folder}, an existing folder, as {@code kind} (it holds something and is not
   * marked as {@code kind}), with what to do; empty when it may. For callers that refuse in their own words.
   */
  public static Optional<String> whyNotReplaceable(Path folder, OutputMarker.Kind kind) throws IOException {
    try (Stream<Path> entries = Files.list(folder)) {
      if (entries.findAny().isEmpty()) {
        return Optional.empty();
      }
    }
    Optional<OutputMarker.Kind> marked = OutputMarker.read(folder);
    if (marked.isEmpty()) {
      return Optional.of("it has no " + OutputMarker.FILE + ", so vblora did not write it (or an older vblora that"
          + " did not mark its outputs); choose another output folder, or delete this one yourself if nothing in it"
          + " is needed");
    }
    if (marked.get() != kind) {
      return Optional.of("it holds " + marked.get().description() + ", not " + kind.description()
          + "; choose another output folder");
    }
    return Optional.empty();
  }

  private static void moveIntoPlace(Path temp, Path folder, Path parent, String name) throws IOException {
    if (!Files.exists(folder)) {
      Files.move(temp, folder, StandardCopyOption.ATOMIC_MOVE);
      return;
    }
    Path old = unusedSibling(parent, "." + name + ".old-");
    Files.move(folder, old, StandardCopyOption.ATOMIC_MOVE);
    try {
      Files.move(temp, folder, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      try {
        Files.move(old, folder, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException restore) {
        e.addSuppressed(new IOException("could not restore the previous " + folder + " from " + old, restore));
      }
      throw e;
    }
    try {
      deleteTree(old);
    } catch (IOException e) {
      // The new folder is in place; a leftover hidden .<name>.old-* folder is harmless.
    }
  }

  /**
   * A new folder with the file system's default permissions (Files.createTempDirectory would make it
   * owner-only, and the output folder keeps the temp folder's permissions after the rename).
   */
  private static Path createUniqueFolder(Path parent, String prefix) throws IOException {
    while (true) {
      try {
        return Files.createDirectory(unusedSibling(parent, prefix));
      } catch (FileAlreadyExistsException e) {
        // lost a race for the name; draw another
      }
    }
  }

  private static Path unusedSibling(Path parent, String prefix) {
    while (true) {
      Path candidate = parent.resolve(prefix + Long.toUnsignedString(RANDOM.nextLong(), 36));
      if (!Files.exists(candidate, LinkOption.NOFOLLOW_LINKS)) {
        return candidate;
      }
    }
  }

  /**
   * An IOException that says "disk full" plainly when that is the cause of {@code e}; else, when {@code e} is
   * about a path inside the hidden temp folder (which the user never named), one that names {@code folder}
   * instead; else null.
   */
  private static IOException explained(Throwable e, Path folder, Path temp) {
    if (OutOfSpace.causes(e)) {
      return new IOException("not enough disk space to write " + folder + " (" + e.getMessage()
          + "); free some space or choose another output folder", e);
    }
    if (e instanceof FileSystemException f && f.getFile() != null && Path.of(f.getFile()).startsWith(temp)) {
      return new IOException("could not write " + folder + " (" + reason(f)
          + "); nothing there was changed: choose another output folder", e);
    }
    return null;
  }

  /** What the file system said, or the kind of refusal when it said nothing (e.g. AccessDeniedException). */
  private static String reason(FileSystemException e) {
    return e.getReason() != null ? e.getReason() : e.getClass().getSimpleName();
  }

  private static void syncTree(Path root) throws IOException {
    List<Path> paths;
    try (Stream<Path> walk = Files.walk(root)) {
      paths = walk.toList();
    }
    for (Path path : paths) {
      if (Files.isRegularFile(path)) {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
          channel.force(true);
        }
      } else if (Files.isDirectory(path)) {
        syncDirectory(path);
      }
    }
  }

  /** Makes renames and new entries durable; not every OS lets a folder be opened, which is then skipped. */
  private static void syncDirectory(Path folder) {
    try (FileChannel channel = FileChannel.open(folder, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException e) {
      // Windows cannot open directories; durability of the rename is then up to the OS.
    }
  }

  private static void deleteQuietly(Path root, Throwable failure) {
    try {
      deleteTree(root);
    } catch (IOException | UncheckedIOException e) {
      failure.addSuppressed(e);
    }
  }

  /**
   * Removes a folder and everything in it; an absent folder is fine. The one tree delete of the project:
   * output folders, temporary folders and checkpoints all go through it.
   */
  public static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.delete(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
        if (e != null) {
          throw e;
        }
        Files.delete(dir);
        return FileVisitResult.CONTINUE;
      }
    });
  }

  /** Whether {@code folder} holds nothing; a folder that cannot be listed counts as empty (the move will say why). */
  private static boolean isEmpty(Path folder) {
    try (Stream<Path> entries = Files.list(folder)) {
      return entries.findAny().isEmpty();
    } catch (IOException e) {
      return true;
    }
  }
}
