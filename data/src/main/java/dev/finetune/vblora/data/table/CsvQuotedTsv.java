package dev.finetune.vblora.data.table;

import dev.finetune.vblora.data.DataFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Quotes in a .tsv file are text, as GLUE writes its files (a text may begin with a quote that never closes). A CSV
 * writer asked for tabs (pandas' {@code to_csv(sep='\t')}, Excel's tab-delimited export) quotes a cell that holds
 * a quote, doubling it: read as text, that cell would keep its quotes, and QUOTE_ALL labels would become the classes
 * "0" and "1" with their quotes. Such a row is refused, where the two conventions cannot both be meant: a cell in
 * quotes whose inner quotes are all doubled, with one pair at least, or a row whose every cell is in quotes. A text
 * with a line break, which such a writer quotes across the break, cuts its row short; the reader that finds the row
 * short asks {@link #lineBreakAdvice} whether that is why.
 */
public final class CsvQuotedTsv {
  private CsvQuotedTsv() {}

  /**
   * Why a .tsv row is short, when a CSV writer's quote spans a line break there: the row's last cell opens a quote
   * it does not close (the text came first), or its first cell closes one opened on the line before (the text came
   * last). Empty for other files and rows: what they lack is another matter.
   */
  public static Optional<String> lineBreakAdvice(TableFormat format, Row row) {
    if (format != TableFormat.TSV || row.size() == 0) {
      return Optional.empty();
    }
    String first = row.cell(0);
    String last = row.cell(row.size() - 1);
    boolean opens = last != null && last.startsWith("\"") && oddQuotes(last);
    boolean closes = first != null && first.endsWith("\"") && oddQuotes(first);
    return opens || closes ? Optional.of("a double quote opened on this line or closed on it spans a line break, as a"
        + " CSV writer quotes a text holding one; a .tsv file is read line by line, quotes included, so the row ends"
        + " at the break: replace line breaks inside texts with spaces, or save the file as .csv (pandas:"
        + " to_csv('data.csv', index=False)), whose quoting vblora reads") : Optional.empty();
  }

  private static boolean oddQuotes(String cell) {
    return cell.chars().filter(c -> c == '"').count() % 2 == 1;
  }

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
