package dev.finetune.vblora.model;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.Set;

/**
 * Turns logical names such as "optimizer/m/module/bert/encoder/layer_0/kernel:0" into valid TensorFlow op
 * names: '/' still separates scopes, and characters an op name may not contain become '_'.
 */
public final class OpNames {
  private OpNames() {}

  /** The full op name for {@code logicalName}, e.g. "optimizer/m/head/kernel". */
  public static String path(String logicalName) {
    StringBuilder out = new StringBuilder();
    for (String segment : logicalName.split("/")) {
      if (!segment.isEmpty()) {
        out.append(out.length() == 0 ? "" : "/").append(segment(segment));
      }
    }
    if (out.length() == 0) {
      throw new VbLoraException("name \"" + logicalName + "\" has no usable segment for an op name");
    }
    return out.toString();
  }

  /** {@code wanted}, or wanted_1, wanted_2, ...: the first that {@code taken} lacks, which is then added to it. */
  static String unique(String wanted, Set<String> taken) {
    String name = wanted;
    for (int i = 1; !taken.add(name); i++) {
      name = wanted + "_" + i;
    }
    return name;
  }

  /** One path segment made valid as an op name: [A-Za-z0-9.][A-Za-z0-9_.-]*. */
  public static String segment(String raw) {
    StringBuilder out = new StringBuilder(raw.length() + 1);
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      boolean valid = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.'
          || (i > 0 && (c == '_' || c == '-'));
      out.append(valid ? c : '_');
    }
    if (out.length() == 0 || out.charAt(0) == '_') {
      out.insert(0, 'v');
    }
    return out.toString();
  }
}
