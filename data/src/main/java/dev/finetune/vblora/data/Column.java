package dev.finetune.vblora.data;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.Objects;

/**
 * One column of a data file, by header name (or JSONL key) or by 0-based index.
 *
 * @param name the header name, or null when the column is given by index
 * @param index the 0-based index, or -1 when the column is given by name
 */
public record Column(String name, int index) {
  public Column {
    if ((name == null) == (index < 0)) {
      throw new VbLoraException("a column is given either by name or by 0-based index");
    }
    if (name != null && name.isBlank()) {
      throw new VbLoraException("a column name must not be blank");
    }
  }

  public static Column named(String name) {
    return new Column(Objects.requireNonNull(name, "name"), -1);
  }

  public static Column at(int index) {
    if (index < 0) {
      throw new VbLoraException("column index " + index + " is negative; indices start at 0");
    }
    return new Column(null, index);
  }

  /** As written on the command line: digits are a 0-based index, anything else a header name. */
  public static Column parse(String spec) {
    String s = spec.trim();
    if (!s.isEmpty() && s.chars().allMatch(c -> c >= '0' && c <= '9')) {
      try {
        return at(Integer.parseInt(s));
      } catch (NumberFormatException e) {
        throw new VbLoraException("column index " + s + " is too large", e);
      }
    }
    return named(s);
  }

  public boolean byName() {
    return name != null;
  }

  /** How messages name it: 'sentence' or 1. */
  @Override
  public String toString() {
    return byName() ? "'" + name + "'" : Integer.toString(index);
  }
}
