package dev.finetune.vblora.training.cli;

/**
 * A problem the user can fix (a missing file, a bad option value): the CLI prints the message alone and exits
 * with status 1; the stack trace only appears with {@code --debug}.
 */
public class UserError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public UserError(String message) {
    super(message);
  }

  public UserError(String message, Throwable cause) {
    super(message, cause);
  }
}
