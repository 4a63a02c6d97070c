package dev.finetune.vblora.data.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.util.regex.Pattern;

/**
 * Jackson's parse errors as a problem for our messages: its own wording (which is clear: "Unexpected character
 * (']' (code 93)): expected a value", "Duplicate field 'a'") without what our messages say their own way: the
 * position, the source description, and the advice to enable leniency features we keep off on purpose.
 */
final class JacksonMessages {
  // "... (start marker at [Source: REDACTED (...); line: 1, column: 1])": the source description goes.
  private static final Pattern SOURCE = Pattern.compile("\\[Source: .*?; (line: \\d+, column: \\d+)]");
  // "Non-standard token 'NaN': enable `JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS` to allow": lenient reading
  // is not ours to offer.
  private static final Pattern FEATURE_ADVICE =
      Pattern.compile("[:;,]?\\s*\\(?\\s*(enable|to allow)[^`]*`[^`]*`[^;)]*\\)?");
  // "(']' (code 93))": the character is shown already.
  private static final Pattern CHAR_CODE = Pattern.compile("\\s*\\(code \\d+\\)");

  private JacksonMessages() {}

  static String problem(JsonProcessingException e) {
    String message = e.getOriginalMessage();
    if (message == null) {
      return e.getClass().getSimpleName();
    }
    message = SOURCE.matcher(message).replaceAll("$1");
    message = FEATURE_ADVICE.matcher(message).replaceAll("");
    message = CHAR_CODE.matcher(message).replaceAll("");
    return message.replace('\n', ' ').strip();
  }
}
