package dev.finetune.vblora.data;

import java.math.BigDecimal;
import java.util.Comparator;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A label that spells a number, taken by its value: "1", "1.0" and "+1" are one class. pandas reads a label column
 * of 1 and 1.0 as the same float, and Python holds 1 and 1.0 as one key ({1, 1.0} has one element); a file that
 * pandas wrote with a missing value somewhere has every label as 1.0, and its other files as 1.
 */
final class NumericLabel {
  private static final Pattern NUMBER = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
  /** Whole numbers up to this many digits are named as integers; beyond, by a spelling (1e400 stays 1e400). */
  private static final int WHOLE_NAME_DIGITS = 30;

  private NumericLabel() {}

  /** The value of a label that is a number, without trailing zeros (1.0 and 1 give equal keys); else empty. */
  static Optional<BigDecimal> value(String label) {
    if (!NUMBER.matcher(label).matches()) {
      return Optional.empty();
    }
    try {
      return Optional.of(new BigDecimal(label).stripTrailingZeros());
    } catch (NumberFormatException | ArithmeticException e) {
      return Optional.empty(); // an exponent beyond what BigDecimal holds: a name like any other
    }
  }

  /**
   * The class name of {@code spellings} of one {@code value}: the integer of a whole number ("1" for "1.0"), so
   * that the usual 0/1 labels keep their names; else the shortest spelling, the first in code-unit order of equals.
   */
  static String name(BigDecimal value, Iterable<String> spellings) {
    if (value.scale() <= 0 && value.precision() - value.scale() <= WHOLE_NAME_DIGITS) {
      return value.toBigIntegerExact().toString();
    }
    String best = null;
    Comparator<String> order = Comparator.comparingInt(String::length).thenComparing(Comparator.naturalOrder());
    for (String s : spellings) {
      if (best == null || order.compare(s, best) < 0) {
        best = s;
      }
    }
    return best;
  }
}
