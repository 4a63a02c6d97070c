package dev.finetune.vblora.model;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.Locale;

/**
 * How an adapted MatMul applies its update during training and adapted inference. All compute
 * y = x (W + s A B) and give the same gradients to the adapter; they differ in which matrices the step
 * multiplies, which decides the speed on a given device.
 */
public enum UpdateForm {
  /**
   * y = x W + s (x A) B: two thin matmuls through rank r next to the untouched base MatMul, and in the
   * backward pass four more. The cheapest arithmetic (O(n r (in + out)) per kernel), and the only form that
   * can apply dropout to the adapter's input, but each thin matmul streams the whole activation for a few
   * flops, which a GPU spends mostly waiting on memory.
   */
  LOW_RANK,
  /**
   * y = x (W + s A B): the [in, out] delta is formed (a tiny matmul) and added to the frozen kernel each step,
   * and the base MatMul reads the sum. The forward pass costs the untouched model's plus that small add; the
   * backward pass adds one weight-gradient matmul per kernel (x^T dy, a large, well-shaped GEMM) from which
   * A's and B's gradients are tiny matmuls. No adapter dropout (the input is shared with the frozen path).
   * Einsum kernels of TF2 models keep {@link #LOW_RANK}.
   */
  MERGED,
  /**
   * The merged form's forward pass with the adapter's gradients taken through the factors: d(s A) = x^T (dy B^T)
   * and dB = (x s A)^T dy, four thin matmuls in place of the [in, out] weight-gradient matmul x^T dy (see {@link
   * FactoredGradients}). The same values and gradients as the other two forms (in a bfloat16 graph the thin
   * matmuls round to bfloat16 where merged rounds x^T dy); no adapter dropout, as merged. Einsum kernels keep
   * {@link #LOW_RANK}, and a product the rewrite cannot mark (a transposed activation) keeps merged's gradient.
   */
  MERGED_FACTORED;

  /** Whether the adapted MatMul reads W + delta (merged and merged-factored), which applies no adapter dropout. */
  public boolean merged() {
    return this != LOW_RANK;
  }

  /**
   * The fastest form where all are possible, as measured on BERT-base (docs/benchmarks.md): on a GPU a merged form,
   * where the low-rank path's thin matmuls wait on memory: merged-factored when the products compute in float32
   * (TF32), whose weight-gradient products run in slower kernels than the thin ones that replace them (q,v 10.27 to
   * 10.05 ms, all-linear 14.24 to 13.03 ms on an H200), and merged with reduced-precision products, where the
   * weight-gradient products are fast and the thin ones cost more (bf16 q,v 5.72 against 5.85 ms); low-rank on a
   * CPU, where its smaller arithmetic wins, and whenever the adapter has dropout.
   *
   * @param float32Products whether the products compute in float32 (fp32/TF32; false for bf16 and fp16)
   */
  public static UpdateForm automatic(boolean onGpu, boolean float32Products, double adapterDropout) {
    if (!onGpu || adapterDropout != 0) {
      return LOW_RANK;
    }
    return float32Products ? MERGED_FACTORED : MERGED;
  }

  /** {@code low-rank}, {@code merged} or {@code merged-factored}, as on the command line and in JSON. */
  public String label() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  public static UpdateForm parse(String value) {
    for (UpdateForm form : values()) {
      if (form.label().equals(value.trim().toLowerCase(Locale.ROOT))) {
        return form;
      }
    }
    throw new VbLoraException("update form must be low-rank, merged or merged-factored, got '" + value + "'");
  }
}
