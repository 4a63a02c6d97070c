package dev.finetune.vblora.data.table;

import dev.finetune.vblora.data.DataFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * Quotes in a .tsv file are text, as GLUE writes its files (a text may begin with a quote that never closes). A CSV
 * writer asked for tabs (pandas' {@code to_csv(sep='\t')}, Excel's tab-delimited export) quotes a cell that holds
 * a quote, doubling it: read as text, that cell would keep its quotes, and QUOTE_ALL labels would become the classes
 * "0" and "1" with their quotes. Such a row is refused, where the two conventions cannot both be meant: a cell in
 * quotes whose inner quotes are all doubled, with one pair at least, or a row whose every cell is in quotes.
 */
final class CsvQuotedTsv {
  private CsvQuotedTsv() {}

  static void refuse(Path file, int line, List<String> cells) {
    boolean allQuoted = cells.size() > 1;
    for (String cell : cells) {
      boolean quoted = isQuotedCell(cell);
      if (quoted && cell.substring(1, cell.length() - 1).contains("\"\"")) {
        throw quoted(file, line, "the cell " + abbreviated(cell) + " is");
      }
      allQuoted &= quoted;
    }
    if (allQuoted) {
      throw quoted(file, line, "every cell is");
    }
  }

  /** "..." with every quote inside doubled: what a CSV writer makes of a cell. */
  private static boolean isQuotedCell(String cell) {
    return cell.length() >= 2 && cell.startsWith("\"") && cell.endsWith("\"")
        && !cell.substring(1, cell.length() - 1).replace("\"\"", "").contains("\"");
  }

  private static DataFileException quoted(Path file, int line, String what) {
    return new DataFileException(file, line, null, what + " quoted as a CSV writer quotes (\"\" for a quote"
        + " inside), but a .tsv file is read with quotes as text, as GLUE writes it; save the file as .csv (pandas:"
        + " to_csv('data.csv', index=False)), whose quoting vblora reads");
  }

  private static String abbreviated(String cell) {
    return cell.length() <= 40 ? cell : cell.substring(0, 37) + "...";
  }
}
