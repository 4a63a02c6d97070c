package dev.finetune.vblora.model;

import java.util.Map;

/**
 * Where one adapted kernel's pieces are in the rewritten graph.
 *
 * @param kernel the kernel
 * @param down tensor of the composed (VB-LoRA) or trained (LoRA) down factor {@code [in, r]}
 * @param up tensor of the up factor {@code [r, out]}
 * @param scaling the factor applied to the update (1 for VB-LoRA as in PEFT, alpha/r for LoRA)
 * @param delta tensor of the dense update s * down @ up in the variable's own layout ({@code [in, out]}, or
 *     {@code [out, in]} for a kernel applied with transpose_b), ready to add to the kernel when merging; for an
 *     Einsum kernel of higher rank ({@code [in, heads, head_dim]}) it is {@code [d_in, d_out]}, the kernel's
 *     values in row-major order: reshape it to the kernel's shape
 * @param adaptedOutputs per use node, the tensor that now stands in for its output (MatMul + update)
 */
public record AdaptedTarget(
    Kernel kernel, String down, String up, double scaling, String delta, Map<String, String> adaptedOutputs) {
  public AdaptedTarget {
    adaptedOutputs = Map.copyOf(adaptedOutputs);
  }
}
