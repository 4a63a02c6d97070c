package dev.finetune.vblora.data;

import dev.finetune.vblora.data.error.VbLoraException;
import java.nio.file.Path;
import java.util.List;

/**
 * A data file that cannot be used as it is: missing, empty, not matching the column mapping, or holding a
 * label that the task cannot take. The message names the file, the line and column where known, and what
 * to do; it is meant for the user as it stands (the CLI prints it without a stack trace).
 */
public final class DataFileException extends VbLoraException {
  private static final long serialVersionUID = 1L;

  private final transient Path file;
  private final int line;
  private final String column;

  /** A problem with the file as a whole. */
  public DataFileException(Path file, String problem) {
    this(file, 0, null, problem, (Throwable) null);
  }

  /** A problem at a line (1-based) and, when {@code column} is not null, a column. */
  public DataFileException(Path file, int line, String column, String problem) {
    this(file, line, column, problem, (Throwable) null);
  }

  public DataFileException(Path file, int line, String column, String problem, Throwable cause) {
    this(file, line, column, problem, cause, List.of());
  }

  /**
   * @param settings the API names of the settings the problem names (e.g. {@code noHeader}), so that a command
   *     line can say them as its options
   */
  public DataFileException(Path file, int line, String column, String problem, List<String> settings) {
    this(file, line, column, problem, null, settings);
  }

  private DataFileException(Path file, int line, String column, String problem, Throwable cause,
      List<String> settings) {
    super(describe(file, line, column) + ": " + problem, cause, settings);
    this.file = file;
    this.line = line;
    this.column = column;
  }

  private static String describe(Path file, int line, String column) {
    StringBuilder where = new StringBuilder("data file ").append(file);
    if (line > 0) {
      where.append(", line ").append(line);
    }
    if (column != null) {
      where.append(", column ").append(column);
    }
    return where.toString();
  }

  public Path file() {
    return file;
  }

  /** The 1-based line, or 0 when the problem is the whole file. */
  public int line() {
    return line;
  }

  /** The column as the mapping names it ("'label'" or "1"), or null. */
  public String column() {
    return column;
  }
}
