package dev.finetune.vblora.savedmodel.adapter;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.List;

/**
 * PEFT's {@code target_modules}: either module names (a module matches when its path equals a name or ends
 * with "." + name) or one regular expression that must match the whole module path.
 *
 * @param names the module names, or {@code null} for a regex
 * @param regex the regular expression, or {@code null} for names
 */
public record TargetModules(List<String> names, String regex) {
  public TargetModules {
    if ((names == null) == (regex == null)) {
      throw new VbLoraException("target_modules is either a list of names or one regex");
    }
    names = names == null ? null : List.copyOf(names);
  }

  public static TargetModules names(List<String> names) {
    return new TargetModules(names, null);
  }

  public static TargetModules regex(String regex) {
    return new TargetModules(null, regex);
  }

  /** The JSON value: a list of names or the regex string. */
  Object toJson() {
    return names != null ? names : regex;
  }
}
