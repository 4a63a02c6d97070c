package dev.finetune.vblora.savedmodel.adapter;

/**
 * The k-1 top-k weights of a save_only_topk_weights file, as the mixture uses them. PEFT stores them in the
 * adapter's dtype, F16 or BF16 for a half-precision model; each rounded weight may be larger than it was, so the
 * k-1 of one sub-vector can sum past 1 (bfloat16 rounds 0.999 to 1.0: with 0.0009 beside it, the sum is 1.0009),
 * which would leave the last weight, 1 minus that sum, negative. PEFT loads the weights as logits, log(w), and
 * mixes by their softmax, w / sum(w); so where the sum passes 1 by no more than the dtype's rounding can explain,
 * the weights are divided by it here, which is that softmax with the last weight at 0. A sum further past 1 is left
 * as stored, for {@link TopKLogits} to refuse as a broken file.
 */
final class StoredTopKWeights {
  private StoredTopKWeights() {}

  /**
   * @param weights the {@code _topk_weights} tensor, [.., .., k-1] of a floating-point dtype
   * @param k the bank vectors kept per sub-vector
   */
  static float[] of(StoredTensor weights, int k) {
    float[] values = weights.toFloats();
    if (k < 2) {
      return values;
    }
    // Each of the k-1 weights (all <= 1 before rounding) gains at most unitRoundoff of itself.
    double tolerance = (k - 1) * weights.dtype().unitRoundoff();
    for (int start = 0; start < values.length; start += k - 1) {
      double sum = 0;
      for (int j = start; j < start + k - 1; j++) {
        sum += values[j];
      }
      if (sum > 1 && sum <= 1 + tolerance) {
        for (int j = start; j < start + k - 1; j++) {
          values[j] = (float) (values[j] / sum);
        }
      }
    }
    return values;
  }
}
