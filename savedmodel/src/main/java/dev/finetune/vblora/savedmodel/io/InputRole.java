package dev.finetune.vblora.savedmodel.io;

import dev.finetune.vblora.data.error.InvalidSettingException;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** What a text model's signature input carries. */
public enum InputRole {
  /** Token ids [batch, length]. */
  IDS("ids"),
  /** 1 for real tokens, 0 for padding [batch, length]. */
  MASK("mask"),
  /** Segment (token type) ids [batch, length]. */
  TYPES("types");

  private final String label;

  InputRole(String label) {
    this.label = label;
  }

  /** The role's name in mappings such as {@code ids=input_13}. */
  public String label() {
    return label;
  }

  public static InputRole parse(String value) {
    for (InputRole role : values()) {
      if (value != null && role.label.equals(value.toLowerCase(Locale.ROOT))) {
        return role;
      }
    }
    throw new InvalidSettingException("input", "unknown input role '" + value + "'; the roles are "
        + Arrays.stream(values()).map(InputRole::label).collect(Collectors.joining(", ")));
  }

  /** A mapping by role name ({@code ids -> input_13}, as settings and options hold it) by role. */
  public static Map<InputRole, String> parseAll(Map<String, String> byName) {
    Map<InputRole, String> roles = new EnumMap<>(InputRole.class);
    byName.forEach((role, key) -> roles.put(parse(role), key));
    return roles;
  }
}
