package dev.finetune.vblora.data.error;

import java.util.List;
import java.util.Optional;

/**
 * Every error the library reports about what its caller gave it (a setting, a data file, a model, an adapter,
 * an output folder, a device) is one of these, so that a program can catch them all in one place; the message
 * is written for a person and names the thing and what to do. Settings appear in messages under their API name
 * ({@code textColumn}), the same name as the builder method, the JSON key ({@code text_column}) and the CLI
 * option ({@code --text-column}); {@link #settings()} lists them, so that a command line can translate the
 * message into its own option names mechanically.
 *
 * <p>It lives in the data module because data depends on no other module of ours: every module that reports
 * user errors (data, model, savedmodel, training) can extend it from here. It extends {@link
 * IllegalArgumentException} rather than {@link RuntimeException} directly because everything the library refuses
 * is, in the end, an argument it was given, and because code that caught {@code IllegalArgumentException} from
 * the library (most of its errors were that before this type existed) keeps catching them.
 */
public class VbLoraException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final List<String> settings;
  private final int ownLength;

  public VbLoraException(String message) {
    this(message, null, List.of());
  }

  public VbLoraException(String message, Throwable cause) {
    this(message, cause, List.of());
  }

  /**
   * @param settings the API names of the settings the message names, the one to change first (e.g.
   *     {@code "lrBank"}); empty when the error is about no setting
   */
  protected VbLoraException(String message, Throwable cause, List<String> settings) {
    this(message, "", cause, settings);
  }

  /**
   * @param quoted text from elsewhere (e.g. TensorFlow's own message) that ends the message and is no
   *     wording of ours: {@link #ownMessage()} leaves it out, so that a translation of setting names does not
   *     touch it
   */
  protected VbLoraException(String message, String quoted, Throwable cause, List<String> settings) {
    super(message + quoted, cause);
    this.settings = List.copyOf(settings);
    this.ownLength = message.length();
  }

  /** The message as the library worded it, without any quoted text that ends it (see {@link #quoted()}). */
  public String ownMessage() {
    return getMessage().substring(0, ownLength);
  }

  /** Text from elsewhere that ends the message (e.g. what TensorFlow said), or "". */
  public String quoted() {
    return getMessage().substring(ownLength);
  }

  /** The setting to change to get past this error (its API name, e.g. {@code textColumn}), if one is. */
  public Optional<String> setting() {
    return settings.isEmpty() ? Optional.empty() : Optional.of(settings.get(0));
  }

  /** Every setting the message names by its API name, {@link #setting()} first; empty if none. */
  public List<String> settings() {
    return settings;
  }
}
