package dev.finetune.vblora.data.tokenizer;

import java.io.IOException;

/**
 * A model's tokenizer cannot be set up as it stands: no WordPiece vocabulary, no lower-casing setting, or a
 * tokenizer of another kind. {@link #missing()} says which setting would fix it, so that a command line can
 * name its own option.
 */
public final class TokenizerException extends IOException {
  private static final long serialVersionUID = 1L;

  /** The setting the user could give to get past this error. */
  public enum Setting {
    /** a WordPiece vocab file ({@link TokenizerOptions#vocab()}) */
    VOCAB,
    /** lower-casing ({@link TokenizerOptions#lowerCase()}) */
    LOWER_CASE
  }

  private final Setting missing;

  public TokenizerException(String message, Setting missing) {
    super(message);
    this.missing = missing;
  }

  public TokenizerException(String message, Setting missing, Throwable cause) {
    super(message, cause);
    this.missing = missing;
  }

  public Setting missing() {
    return missing;
  }
}
