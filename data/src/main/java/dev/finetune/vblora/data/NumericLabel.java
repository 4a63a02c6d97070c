package dev.finetune.vblora.data;

import java.math.BigInteger;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A label that spells a whole number, taken by its value: "1", "1.0" and "+1" are one class, named "1". pandas reads
 * a label column of 1 and 1.0 as the same float, and Python holds 1 and 1.0 as one key ({1, 1.0} has one element);
 * a file that pandas wrote with a missing value somewhere has every label as 1.0, and its other files as 1.
 *
 * <p>Only those spellings: codes with leading zeros ("01", "001") and decimals ("1.1", "1.10") stay names of their
 * own, since such labels are usually codes that a user keeps apart.
 */
final class NumericLabel {
  /** An integer without leading zeros, with an optional sign and an optional fraction of zeros. */
  private static final Pattern WHOLE = Pattern.compile("[+-]?(0|[1-9]\\d*)(\\.0+)?");

  private NumericLabel() {}

  /** The value of a label that spells a whole number as above; else empty. */
  static Optional<BigInteger> value(String label) {
    if (!WHOLE.matcher(label).matches()) {
      return Optional.empty();
    }
    int point = label.indexOf('.');
    return Optional.of(new BigInteger(point < 0 ? label : label.substring(0, point)));
  }
}
