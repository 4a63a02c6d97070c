package dev.finetune.vblora.data.error;

import java.util.List;

/**
 * A setting, or a combination of settings, that the library cannot run with; the message names each of them by
 * its API name (e.g. "lrBank must be a finite number > 0, got -1.0").
 */
public class InvalidSettingException extends VbLoraException {
  private static final long serialVersionUID = 1L;

  /** @param setting the API name of the setting, as the message spells it */
  public InvalidSettingException(String setting, String message) {
    super(message, null, List.of(setting));
  }

  /** @param settings the API names of the settings the message names, the one to change first */
  public InvalidSettingException(List<String> settings, String message) {
    super(message, null, settings);
  }

  public InvalidSettingException(List<String> settings, String message, Throwable cause) {
    super(message, cause, settings);
  }

  /**
   * Throws when {@code ok} is false: the one check every validated config makes.
   *
   * @param settings the API names of the settings the message names, the one to change first
   */
  public static void require(boolean ok, String message, String... settings) {
    if (!ok) {
      throw new InvalidSettingException(List.of(settings), message);
    }
  }

  /** @param quoted text from elsewhere that ends the message (see {@link VbLoraException#quoted()}) */
  public InvalidSettingException(List<String> settings, String message, String quoted, Throwable cause) {
    super(message, quoted, cause, settings);
  }
}
