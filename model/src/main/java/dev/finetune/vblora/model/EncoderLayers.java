package dev.finetune.vblora.model;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The encoder layers of a model, found from its attention kernels: a layer is the scope that holds an attention
 * block, i.e. the path of a query, key, value or attention-output kernel up to its first component naming
 * attention ({@code bert/encoder/layer_3} above {@code attention/self/query}, a Keras block's
 * {@code transformer_block} above {@code multi_head_attention}). Both the variable names and the names of the ops
 * applying the kernels count, since a Keras block's feed-forward Dense layers are named {@code dense_N} as
 * variables and show their block only in their ops' names.
 */
final class EncoderLayers {
  private final Set<String> scopes;

  private EncoderLayers(Set<String> scopes) {
    this.scopes = scopes;
  }

  static EncoderLayers of(List<Kernel> kernels) {
    Set<String> scopes = new LinkedHashSet<>();
    for (Kernel kernel : kernels) {
      if (kernel.role().attention()) {
        for (String path : paths(kernel)) {
          String scope = scopeAboveAttention(path);
          if (!scope.isEmpty()) {
            scopes.add(scope);
          }
        }
      }
    }
    return new EncoderLayers(scopes);
  }

  /** Whether the model has any layer (an attention block below some scope). */
  boolean any() {
    return !scopes.isEmpty();
  }

  /** Whether the kernel's variable, or an op applying it, lies inside a layer. */
  boolean contain(Kernel kernel) {
    for (String path : paths(kernel)) {
      for (String scope : scopes) {
        if (path.startsWith(scope + "/")) {
          return true;
        }
      }
    }
    return false;
  }

  private static List<String> paths(Kernel kernel) {
    List<String> paths = new ArrayList<>();
    paths.add(kernel.name());
    kernel.uses().forEach(u -> paths.add(u.node()));
    return paths;
  }

  /** The path up to (without) its first component naming attention; empty when there is none or it is first. */
  private static String scopeAboveAttention(String path) {
    String[] parts = path.split("/");
    StringBuilder scope = new StringBuilder();
    for (String part : parts) {
      if (part.toLowerCase(Locale.ROOT).contains("attention")) {
        return scope.toString();
      }
      scope.append(scope.length() == 0 ? "" : "/").append(part);
    }
    return "";
  }
}
