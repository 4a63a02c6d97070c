package dev.finetune.vblora.savedmodel;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.List;

/**
 * A model argument that cannot be used: not a SavedModel, a missing tag set, an unreadable checkpoint index,
 * a built-in model that cannot be fetched. The message names the path or name and says what to do.
 *
 * <p>It is a {@link VbLoraException} because every such case is a bad input from the user, not a bug: callers
 * (the CLI) report it as a user error.
 */
public class SavedModelException extends VbLoraException {
  private static final long serialVersionUID = 1L;

  public SavedModelException(String message) {
    super(message);
  }

  public SavedModelException(String message, Throwable cause) {
    super(message, cause);
  }

  /** @param settings the settings (API names) that choose another, e.g. signature: {@link #setting()} names them */
  public SavedModelException(String message, List<String> settings) {
    super(message, null, settings);
  }
}
