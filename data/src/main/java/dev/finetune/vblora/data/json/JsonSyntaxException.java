package dev.finetune.vblora.data.json;

/**
 * Text that is not valid JSON. The message says what is wrong and where ("... at line 3, column 14");
 * {@link #problem()} is the what alone, {@link #line()}, {@link #column()} and {@link #offset()} the where.
 */
public final class JsonSyntaxException extends JsonException {
  private static final long serialVersionUID = 1L;
  private final String problem;
  private final int offset;
  private final int line;
  private final int column;

  /**
   * @param offset 0-based character offset, -1 when unknown
   * @param line 1-based line, -1 when unknown
   * @param column 1-based column, -1 when unknown
   */
  JsonSyntaxException(String problem, int offset, int line, int column) {
    super(problem + (line > 0 && column > 0 ? " at line " + line + ", column " + column
        : offset >= 0 ? " at character " + (offset + 1) : ""));
    this.problem = problem;
    this.offset = offset;
    this.line = line;
    this.column = column;
  }

  /** The 0-based character where the problem is, -1 when unknown. */
  public int offset() {
    return offset;
  }

  /** The 1-based line where the problem is, -1 when unknown. */
  public int line() {
    return line;
  }

  /** The 1-based column (character in the line) where the problem is, -1 when unknown. */
  public int column() {
    return column;
  }

  /** The problem alone, without the position (for messages that give the position their own way). */
  public String problem() {
    return problem;
  }
}
