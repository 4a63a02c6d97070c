package dev.finetune.vblora.data.tokenizer;

import dev.finetune.vblora.data.error.InvalidSettingException;
import java.util.List;

/**
 * A model's tokenizer cannot be set up as it stands: no WordPiece vocabulary, no lower-casing setting, or a
 * tokenizer of another kind. {@link #missing()} says which setting would fix it, so that a command line can
 * name its own option. It was an {@code IOException} before the library's errors shared {@link
 * InvalidSettingException}'s base type; methods that read tokenizer files still declare {@code IOException} for
 * the files themselves.
 */
public final class TokenizerException extends InvalidSettingException {
  private static final long serialVersionUID = 1L;

  /** The setting the user could give to get past this error. */
  public enum Setting {
    /** a WordPiece vocab file ({@link TokenizerOptions#vocab()}) */
    VOCAB("vocab"),
    /** lower-casing ({@link TokenizerOptions#lowerCase()}) */
    LOWER_CASE("lowerCase");

    private final String apiName;

    Setting(String apiName) {
      this.apiName = apiName;
    }

    /** The setting's API name (the builder method, as {@link InvalidSettingException#setting()} gives it). */
    public String apiName() {
      return apiName;
    }
  }

  private final Setting missing;

  public TokenizerException(String message, Setting missing) {
    super(List.of(missing.apiName()), message);
    this.missing = missing;
  }

  public TokenizerException(String message, Setting missing, Throwable cause) {
    super(List.of(missing.apiName()), message, cause);
    this.missing = missing;
  }

  public Setting missing() {
    return missing;
  }
}
