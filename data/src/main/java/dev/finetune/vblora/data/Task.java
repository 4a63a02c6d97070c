package dev.finetune.vblora.data;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.Locale;

/** What the label column holds: a class (names or integers) or a number to predict. */
public enum Task {
  CLASSIFICATION,
  REGRESSION;

  /** The task for its CLI/JSON name ("classification", "regression"). */
  public static Task parse(String name) {
    for (Task task : values()) {
      if (task.cliName().equals(name.trim().toLowerCase(Locale.ROOT))) {
        return task;
      }
    }
    throw new VbLoraException("unknown task '" + name + "'; use classification or regression");
  }

  /** The name used on the command line and in JSON. */
  public String cliName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
