package dev.finetune.vblora.savedmodel.adapter;

/**
 * How one factor (A or B) of one adapted module picks its sub-vectors from the vector bank, in PEFT's shape
 * [rows, cols, h]: logits_A is [r, in/b, h] and logits_B is [out/b, r, h]. Either the full logits
 * ({@link FullLogits}, what training produces) or only the top-k choice ({@link TopKLogits}, what a
 * save_only_topk_weights file holds).
 */
public sealed interface SubVectorLogits permits FullLogits, TopKLogits {
  /** First dimension: r for logits_A, out/b for logits_B. */
  int rows();

  /** Second dimension: in/b for logits_A, r for logits_B. */
  int cols();

  /** Vectors in the bank, h. */
  int numVectors();

  /** rows * cols. */
  default int subVectorCount() {
    return rows() * cols();
  }

  /**
   * The bank vectors sub-vector {@code subVector} (row-major over rows x cols) mixes and their weights, which
   * sum to 1: softmax of the top {@code topk} logits for full logits, the stored weights for top-k.
   */
  Mixture mixture(int subVector, int topk);

  /** The top-k form: indices of the k largest logits and the softmax weights of the first k-1 of them. */
  TopKLogits toTopK(int k);

  /** Bank indices and their weights for one sub-vector. */
  record Mixture(int[] indices, double[] weights) {}
}
