package dev.finetune.vblora.data.table;

import dev.finetune.vblora.data.DataFileException;
import java.util.List;

/**
 * Refuses a row with more cells than the header (or, without one, the first row): a comma inside an unquoted CSV
 * cell or a tab inside a TSV text splits it, and every cell after the split moves one column on, so the label
 * column would read a piece of text as a new class. pandas refuses such a row too ("Expected 2 fields in line 7,
 * saw 3"). Empty cells past the end are kept: some writers end every line with a separator.
 */
public final class RowWidth {
  private RowWidth() {}

  /**
   * @param width the header's cells, or the first row's where there is no header
   * @param fromHeader whether {@code width} is the header's, for the message
   */
  public static void requireAtMost(Table table, int width, boolean fromHeader, List<Row> rows) {
    for (Row row : rows) {
      int used = row.size();
      while (used > width && row.cell(used - 1) != null && row.cell(used - 1).isBlank()) {
        used--;
      }
      if (used > width) {
        throw new DataFileException(table.file(), row.line(), null, "the row has " + used + " cells where the "
            + (fromHeader ? "header has " : "first row has ") + width + ", so its cells after the split would be"
            + " read from the wrong columns; " + remedy(table.format()));
      }
    }
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
