package dev.finetune.vblora.model;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.List;
import java.util.OptionalInt;

/**
 * A weight matrix that a linear map on the serving path applies to activations: what VB-LoRA adapts.
 *
 * @param name stable id, the variable's name, e.g. {@code module/bert/encoder/layer_0/attention/self/query/kernel}
 * @param variable the variable node (VarHandleOp or VariableV2) holding the weights
 * @param shape the variable's shape as stored
 * @param inFeatures size of the input side of the linear map (d_in)
 * @param outFeatures size of the output side (d_out)
 * @param layer the transformer layer index parsed from the name ({@code layer_3}, {@code layer_._3}), if any; a
 *     layer whose weights serve every depth (ALBERT's {@code layer_shared}) has none
 * @param head true when no other kernel lies downstream of this one on the way to the outputs: the
 *     model's output head (BERT: the pooler), which presets such as all-linear leave alone
 * @param uses the ops that apply the kernel on the serving path (usually one)
 */
public record Kernel(
    String name,
    String variable,
    List<Long> shape,
    long inFeatures,
    long outFeatures,
    OptionalInt layer,
    boolean head,
    List<KernelUse> uses) {

  public Kernel {
    shape = List.copyOf(shape);
    uses = List.copyOf(uses);
    if (uses.isEmpty()) {
      throw new VbLoraException("kernel " + name + " has no use");
    }
  }

  /** The op type of the (first) use. */
  public String op() {
    return uses.get(0).op();
  }

  /** The node of the (first) use. */
  public String node() {
    return uses.get(0).node();
  }

  /** The layout of the (first) use. */
  public String layout() {
    return uses.get(0).layout();
  }

  /**
   * The name without a trailing {@code /kernel}, {@code /weights} or {@code /w}: the module path that target
   * suffixes such as {@code query} or {@code attention/self/query} are matched against.
   */
  public String modulePath() {
    for (String leaf : List.of("/kernel", "/weights", "/weight", "/w")) {
      if (name.endsWith(leaf)) {
        return name.substring(0, name.length() - leaf.length());
      }
    }
    return name;
  }

  /** What the kernel does in a transformer layer, read from its name ({@link KernelRole#of}). */
  public KernelRole role() {
    return KernelRole.of(modulePath());
  }

  Kernel withHead(boolean isHead) {
    return new Kernel(name, variable, shape, inFeatures, outFeatures, layer, isHead, uses);
  }
}
