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
    if (TableFormat.isGzip(file)) {
      return Utf8Text.decode(file, gunzip(file));
    }
    byte[] bytes = Files.readAllBytes(file);
    requireNotCompressed(file, bytes);
    return Utf8Text.decode(file, bytes);
  }

  /**
   * Compressed data under a plain name would otherwise fail as text "in another encoding", which sends the user to
   * the wrong fix: gzip under a name without .gz, and zip archives, Excel's .xlsx workbooks among them.
   */
  private static void requireNotCompressed(Path file, byte[] bytes) {
    if (bytes.length >= 2 && (bytes[0] & 0xff) == 0x1f && (bytes[1] & 0xff) == 0x8b) {
      throw new DataFileException(file, "the file holds gzip-compressed data but its name does not end in .gz;"
          + " add .gz to its name (e.g. train.tsv.gz), or decompress it with gunzip");
    }
    if (bytes.length >= 4 && bytes[0] == 'P' && bytes[1] == 'K' && bytes[2] == 3 && bytes[3] == 4) {
      throw new DataFileException(file, "the file is a zip archive (an Excel .xlsx workbook is one), not text;"
          + " save the sheet as CSV UTF-8 (Excel: File > Save As > CSV UTF-8), or unzip the data file from it");
    }
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
