package dev.finetune.vblora.data.table;

import java.nio.file.Path;
import java.util.Locale;

/** The layouts a data file may have, told apart by its extension. */
public enum TableFormat {
  /** Tab-separated, one row per line, no quoting (as GLUE ships its data: quotes are ordinary text). */
  TSV,
  /** Comma-separated with RFC 4180 quoting: "a, b" is one cell, "" inside quotes is one quote. */
  CSV,
  /** One JSON object (keys name the columns) or JSON array (cells in order) per line. */
  JSONL;

  /**
   * The format for a file name ending in .tsv/.txt, .csv, or .jsonl/.json/.ndjson, each also with .gz after it
   * (read decompressed, as pandas and Hugging Face datasets read them); null for other names.
   */
  public static TableFormat forFileName(Path file) {
    String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
    if (isGzip(file)) {
      name = name.substring(0, name.length() - ".gz".length());
    }
    if (name.endsWith(".tsv") || name.endsWith(".txt")) {
      return TSV;
    } else if (name.endsWith(".csv")) {
      return CSV;
    } else if (name.endsWith(".jsonl") || name.endsWith(".json") || name.endsWith(".ndjson")) {
      return JSONL;
    }
    return null;
  }

  /** Whether the file's name says it is gzip-compressed (.gz). */
  static boolean isGzip(Path file) {
    return file.getFileName() != null && file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gz");
  }
}
