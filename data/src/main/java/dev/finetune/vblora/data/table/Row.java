package dev.finetune.vblora.data.table;

import java.util.Collections;
import java.util.List;

/**
 * One row of a data file.
 *
 * @param line the 1-based line where the row starts (a quoted CSV cell may span lines)
 * @param cells the cells in column order; a JSONL object's missing, null, or nested value is a null cell
 */
public record Row(int line, List<String> cells) {
  public Row {
    cells = Collections.unmodifiableList(cells);
  }

  /** The cell at {@code index}, or null when the row is shorter. */
  public String cell(int index) {
    return index < cells.size() ? cells.get(index) : null;
  }

  public int size() {
    return cells.size();
  }
}
