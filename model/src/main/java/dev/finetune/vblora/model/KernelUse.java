package dev.finetune.vblora.model;

/**
 * One op on the serving path that multiplies activations by a kernel.
 *
 * @param node the op's node name, e.g. {@code module_apply_tokens/bert/encoder/layer_0/attention/self/query/MatMul}
 * @param op {@code MatMul}, {@code BatchMatMulV2} or {@code Einsum}
 * @param weightInput which data input carries the kernel (1 for Dense-style {@code x W})
 * @param transposeActivation the op transposes the activation first ({@code transpose_a} / {@code adj_x})
 * @param transposeWeight the op transposes the kernel first ({@code transpose_b} / {@code adj_y}): the
 *     variable is stored [out, in]
 * @param equation the Einsum equation, empty for matmuls
 * @param function the FunctionDef holding the op, empty for the main graph
 */
public record KernelUse(
    String node,
    String op,
    int weightInput,
    boolean transposeActivation,
    boolean transposeWeight,
    String equation,
    String function) {

  /** How the kernel is applied, for people: {@code matmul [in,out]}, {@code einsum abc,cde->abde}. */
  public String layout() {
    if (op.equals("Einsum")) {
      return "einsum " + equation;
    }
    String base = transposeWeight ? "matmul [out,in] (transpose_b)" : "matmul [in,out]";
    return transposeActivation ? base + " (transpose_a)" : base;
  }
}
