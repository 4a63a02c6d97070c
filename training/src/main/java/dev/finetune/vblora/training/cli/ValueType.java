package dev.finetune.vblora.training.cli;

import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import picocli.CommandLine.TypeConversionException;

/**
 * What an option's value is. picocli checks every value against it while parsing, so a bad value is a usage
 * error (exit 2) before any work starts, and shell completion offers the {@link #choices()}.
 *
 * @param label what help shows when the option declares no value name
 * @param check returns normally for a good value; throws {@link TypeConversionException} with what was expected
 * @param choices the accepted words (matched ignoring case), empty when any value of the kind goes
 */
record ValueType(String label, Function<String, Object> check, List<String> choices) {
  static final ValueType TEXT = new ValueType("TEXT", v -> v, List.of());
  static final ValueType PATH = new ValueType("PATH", v -> v, List.of());
  static final ValueType INTEGER = new ValueType("N", v -> parse(v, Integer::parseInt, "a whole number"), List.of());
  static final ValueType NUMBER = new ValueType("X", v -> parse(v, Double::parseDouble, "a number"), List.of());
  /** Booleans are switches, {@code --NAME} and {@code --no-NAME}; an explicit value may follow (see below). */
  static final ValueType BOOLEAN = new ValueType("true|false", ValueType::bool, List.of());

  /** The words a boolean option takes as its explicit value: true/false, and on/off, yes/no as they always did. */
  static final List<String> TRUE_WORDS = List.of("true", "on", "yes");
  static final List<String> FALSE_WORDS = List.of("false", "off", "no");

  /** One of a fixed set of words. */
  static ValueType oneOf(String... choices) {
    List<String> words = List.of(choices);
    return new ValueType(String.join("|", words), v -> {
      if (words.stream().noneMatch(w -> w.equalsIgnoreCase(v.trim()))) {
        throw new TypeConversionException("expected one of " + String.join(", ", words) + ", got '" + v + "'");
      }
      return v.trim();
    }, words);
  }

  boolean isBoolean() {
    return this == BOOLEAN;
  }

  static boolean isBooleanWord(String word) {
    String w = word.toLowerCase(Locale.ROOT);
    return TRUE_WORDS.contains(w) || FALSE_WORDS.contains(w);
  }

  static Boolean bool(String value) {
    String w = value.trim().toLowerCase(Locale.ROOT);
    if (TRUE_WORDS.contains(w)) {
      return true;
    }
    if (FALSE_WORDS.contains(w)) {
      return false;
    }
    throw new TypeConversionException("expected true or false (or on/off), got '" + value + "'");
  }

  private static Object parse(String value, Function<String, Object> parser, String what) {
    try {
      return parser.apply(value.trim());
    } catch (NumberFormatException e) {
      throw new TypeConversionException("expected " + what + ", got '" + value + "'");
    }
  }
}
