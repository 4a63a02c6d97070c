package dev.finetune.vblora.training.cli;

/** The command line itself is malformed (unknown option, missing value): exit status 2 and a usage hint. */
public final class UsageError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public UsageError(String message) {
    super(message);
  }
}
