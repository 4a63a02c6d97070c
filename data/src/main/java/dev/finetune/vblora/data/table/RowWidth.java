package dev.finetune.vblora.data.table;

import dev.finetune.vblora.data.DataFileException;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Refuses a row with more cells than the header (or, without one, than most rows have): a comma inside an unquoted CSV
 * cell or a tab inside a TSV text splits it, and every cell after the split moves one column on, so the label
 * column would read a piece of text as a new class. pandas refuses such a row too ("Expected 2 fields in line 7,
 * saw 3"). Empty cells past the end are kept: some writers end every line with a separator.
 */
public final class RowWidth {
  private RowWidth() {}

  /** Each row has at most as many cells as {@code header}, which a table with a header row has. */
  public static void requireAtMost(Table table, List<String> header, List<Row> rows) {
    requireAtMost(table, header.size(), "the header has", rows);
  }

  /**
   * Without a header, the width is the one most rows have (the narrower of equally common ones): the first row
   * may be the one a stray separator split.
   */
  public static void requireCommonWidth(Table table, List<Row> rows) {
    Map<Integer, Integer> counts = new HashMap<>();
    rows.forEach(row -> counts.merge(row.size(), 1, Integer::sum));
    int width = counts.entrySet().stream()
        .max(Comparator.comparingInt((Map.Entry<Integer, Integer> e) -> e.getValue())
            .thenComparing(Map.Entry::getKey, Comparator.reverseOrder()))
        .orElseThrow().getKey();
    requireAtMost(table, width, "most rows have", rows);
  }

  private static void requireAtMost(Table table, int width, String whoHas, List<Row> rows) {
    for (Row row : rows) {
      int used = used(row, width);
      if (used > width) {
        throw new DataFileException(table.file(), row.line(), null, "the row has " + used + " cells where "
            + whoHas + " " + width + ", so its cells after the split would be read from the wrong columns; "
            + remedy(table.format()));
      }
    }
  }

  /** The row's cells without the empty ones past its end (and past {@code width}): some writers end lines with one. */
  private static int used(Row row, int width) {
    int used = row.size();
    while (used > width && row.cell(used - 1) != null && row.cell(used - 1).isBlank()) {
      used--;
    }
    return used;
  }

  private static String remedy(TableFormat format) {
    return switch (format) {
      case CSV -> "put a cell that holds a comma in double quotes (\"good, but long\"), as pandas' to_csv and"
          + " Excel write it";
      case TSV -> "a text must not hold a tab in a .tsv file: replace tabs inside texts with spaces, or save the"
          + " file as .csv, which quotes them";
      case JSONL -> "give every line the same number of cells";
    };
  }
}
