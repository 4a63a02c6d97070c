package dev.finetune.vblora.model;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;
import org.tensorflow.op.Ops;

/**
 * Name scopes by path, each opened once: TF-Java renames a scope opened a second time ({@code module_1}), so
 * adapter ops for {@code module/bert/.../query} and {@code module/bert/.../value} must share the Ops of their
 * common prefix to land under the same names as the kernels they adapt.
 */
final class ScopeTree {
  /** Characters TF-Java refuses in a scope name component. */
  private static final Pattern INVALID = Pattern.compile("[^A-Za-z0-9_.\\-]");

  private final Ops root;
  private final Map<String, Ops> scopes = new HashMap<>();

  ScopeTree(Ops root) {
    this.root = root;
  }

  /** The Ops of {@code path} (components separated by '/'), relative to the root. */
  Ops at(String path) {
    Ops scope = scopes.get(path);
    if (scope == null) {
      int slash = path.lastIndexOf('/');
      Ops parent = slash < 0 ? root : at(path.substring(0, slash));
      scope = parent.withSubScope(component(path.substring(slash + 1)));
      scopes.put(path, scope);
    }
    return scope;
  }

  private static String component(String name) {
    String cleaned = INVALID.matcher(name).replaceAll("_");
    return cleaned.isEmpty() || !Character.isLetterOrDigit(cleaned.charAt(0)) && cleaned.charAt(0) != '.'
        ? "x" + cleaned
        : cleaned;
  }
}
