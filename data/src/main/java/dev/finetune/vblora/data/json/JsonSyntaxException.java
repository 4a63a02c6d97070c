package dev.finetune.vblora.data.json;

/** Text that is not valid JSON; {@link #offset()} is the 0-based character where the problem is. */
public final class JsonSyntaxException extends JsonException {
  private static final long serialVersionUID = 1L;
  private final int offset;

  JsonSyntaxException(String problem, int offset) {
    super(problem + " at character " + (offset + 1));
    this.offset = offset;
  }

  public int offset() {
    return offset;
  }

  /** The problem alone, without the position (for messages that give the position their own way). */
  public String problem() {
    String message = getMessage();
    return message.substring(0, message.lastIndexOf(" at character "));
  }
}
