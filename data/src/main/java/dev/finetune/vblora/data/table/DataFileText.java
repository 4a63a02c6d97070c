package dev.finetune.vblora.data.table;

import dev.finetune.vblora.data.DataFileException;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * The text of a data file, as every reader of user data takes it: a file that is there and regular, gzip-compressed
 * when its name ends in .gz, UTF-8 with an optional byte order mark ({@link Utf8Text}, which names the first byte
 * that is not).
 */
public final class DataFileText {
  private DataFileText() {}

  public static String read(Path file) throws IOException {
    if (!Files.exists(file)) {
      throw new DataFileException(file, "the file does not exist; check the path (relative paths start at "
          + Path.of("").toAbsolutePath() + ")");
    }
    if (!Files.isRegularFile(file)) {
      throw new DataFileException(file, "this is not a regular file; give the data file itself");
    }
    return Utf8Text.decode(file, TableFormat.isGzip(file) ? gunzip(file) : Files.readAllBytes(file));
  }

  private static byte[] gunzip(Path file) throws IOException {
    // Two resources: the GZIPInputStream constructor reads the header, and throws before it owns the file's stream.
    try (InputStream raw = Files.newInputStream(file); InputStream in = new GZIPInputStream(raw)) {
      return in.readAllBytes();
    } catch (ZipException | EOFException e) {
      String why = e.getMessage() == null ? "it is empty or cut short" : e.getMessage();
      throw new DataFileException(file, 0, null, "the file is named .gz but is not whole gzip data (" + why
          + "); compress it again with gzip, or drop .gz from its name if it is plain text", e);
    }
  }
}
