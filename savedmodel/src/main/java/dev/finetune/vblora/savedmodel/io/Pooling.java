package dev.finetune.vblora.savedmodel.io;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.Locale;

/** How a head reads a feature tensor: as it is ([batch, hidden]), or a sequence's first token or mean. */
public enum Pooling {
  /** The features are already [batch, hidden]. */
  NONE("none"),
  /** The first token's vector of a [batch, length, hidden] sequence ([CLS]). */
  CLS("cls"),
  /** The mean over the real tokens (mask 1) of a sequence. */
  MEAN("mean");

  private final String label;

  Pooling(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }

  public static Pooling parse(String value) {
    for (Pooling p : values()) {
      if (p.label.equals(value.toLowerCase(Locale.ROOT))) {
        return p;
      }
    }
    throw new VbLoraException("unknown pooling '" + value + "'; choose none, cls or mean");
  }
}
