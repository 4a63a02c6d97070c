package dev.finetune.vblora.training.device;

import java.util.Optional;

/**
 * A flag string as TensorFlow and XLA read {@code TF_XLA_FLAGS} and {@code XLA_FLAGS}: whitespace-separated
 * {@code --name} or {@code --name=value}, the last mention of a name winning.
 */
final class FlagString {
  private FlagString() {}

  /** The value of the last mention of {@code name}: "" for a bare {@code --name}, empty when it is not mentioned. */
  static Optional<String> lastValue(String flags, String name) {
    Optional<String> value = Optional.empty();
    for (String flag : flags.trim().split("\\s+")) {
      if (flag.equals(name)) {
        value = Optional.of("");
      } else if (flag.startsWith(name + "=")) {
        value = Optional.of(flag.substring(name.length() + 1));
      }
    }
    return value;
  }

  /** Whether the last mention of the boolean flag {@code name} turns it on: bare, {@code =true} or {@code =1}. */
  static boolean enabled(String flags, String name) {
    return lastValue(flags, name).map(v -> v.isEmpty() || v.equalsIgnoreCase("true") || v.equals("1")).orElse(false);
  }
}
