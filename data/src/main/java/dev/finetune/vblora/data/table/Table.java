package dev.finetune.vblora.data.table;

import java.nio.file.Path;
import java.util.List;

/**
 * A data file's rows, before any column mapping.
 *
 * @param keys the column names when the format itself names them (JSONL objects: every key seen, in order
 *     of first appearance), else null: a TSV/CSV header row, if any, is still the first of {@code rows}
 * @param rows the non-blank rows, at least one
 */
public record Table(Path file, TableFormat format, List<String> keys, List<Row> rows) {
  public Table {
    keys = keys == null ? null : List.copyOf(keys);
    rows = List.copyOf(rows);
  }

  public boolean namesItsColumns() {
    return keys != null;
  }
}
