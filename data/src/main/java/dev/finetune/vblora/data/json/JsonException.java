package dev.finetune.vblora.data.json;

import dev.finetune.vblora.data.error.VbLoraException;

/**
 * JSON that cannot be read as what the caller expects: a key is missing or holds a value of the wrong type
 * ({@link JsonSyntaxException} when the text is not JSON at all). The message names the key and what was
 * found; the caller adds which file it came from.
 */
public class JsonException extends VbLoraException {
  private static final long serialVersionUID = 1L;

  public JsonException(String message) {
    super(message);
  }
}
