package dev.finetune.vblora.data;

import dev.finetune.vblora.data.table.TableFormat;
import java.util.Objects;

/**
 * How to read a data file.
 *
 * @param format null: from the file's extension
 */
public record ReadOptions(ColumnMapping columns, Task task, HeaderMode header, TableFormat format) {
  public ReadOptions {
    Objects.requireNonNull(columns, "columns");
    Objects.requireNonNull(task, "task");
    Objects.requireNonNull(header, "header");
  }

  /** Header detected, format from the extension. */
  public static ReadOptions of(ColumnMapping columns, Task task) {
    return new ReadOptions(columns, task, HeaderMode.DETECT, null);
  }

  public ReadOptions withHeader(HeaderMode header) {
    return new ReadOptions(columns, task, header, format);
  }

  public ReadOptions withFormat(TableFormat format) {
    return new ReadOptions(columns, task, header, format);
  }
}
