package dev.finetune.vblora.data;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.Objects;

/**
 * Which columns of a data file hold the text, the optional second text of a pair, and the label.
 *
 * @param textPair null for single-text tasks
 */
public record ColumnMapping(Column text, Column textPair, Column label) {
  /** The text column when none is named (GLUE's header, as in the demo data): the default of every entry point. */
  public static final String DEFAULT_TEXT_COLUMN = "sentence";

  /** The label column when none is named. */
  public static final String DEFAULT_LABEL_COLUMN = "label";

  public ColumnMapping {
    Objects.requireNonNull(text, "text column");
    Objects.requireNonNull(label, "label column");
    if (text.equals(label)) {
      throw new VbLoraException("the text and the label column are both " + text
          + "; map them to different columns");
    }
    if (textPair != null && (textPair.equals(text) || textPair.equals(label))) {
      throw new VbLoraException("the text pair column " + textPair
          + " is also the " + (textPair.equals(text) ? "text" : "label") + " column; map it to its own column");
    }
  }

  /** A single-text mapping from CLI-style specs (header names or 0-based indices). */
  public static ColumnMapping of(String text, String label) {
    return new ColumnMapping(Column.parse(text), null, Column.parse(label));
  }

  /** A sentence-pair mapping from CLI-style specs; {@code textPair} may be null. */
  public static ColumnMapping of(String text, String textPair, String label) {
    return new ColumnMapping(Column.parse(text), textPair == null ? null : Column.parse(textPair),
        Column.parse(label));
  }

  public boolean hasTextPair() {
    return textPair != null;
  }

  boolean usesNames() {
    return text.byName() || label.byName() || (textPair != null && textPair.byName());
  }
}
