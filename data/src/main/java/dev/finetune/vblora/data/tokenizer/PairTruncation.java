package dev.finetune.vblora.data.tokenizer;

/**
 * How many tokens of each text of a pair survive "longest_first" truncation, computed as the Hugging Face
 * tokenizers library does: when both texts do not fit, the shorter one is kept whole if the longer one can
 * still take the rest of the budget; otherwise both get half the budget, the odd token going to the one
 * that was longer (to the second text when both were equally long). Truncation always cuts the end of a
 * text.
 */
final class PairTruncation {
  private PairTruncation() {}

  /**
   * @param first tokens of the first text
   * @param second tokens of the second text
   * @param budget tokens that fit for both texts together (max length minus [CLS] and two [SEP])
   * @return the tokens to keep of the first and of the second text
   */
  static int[] keep(int first, int second, int budget) {
    if (first + second <= budget) {
      return new int[] {first, second};
    }
    boolean firstIsLonger = first > second;
    int shorter = Math.min(first, second);
    int longer;
    if (shorter > budget) {
      longer = shorter;
    } else {
      longer = Math.max(shorter, budget - shorter);
    }
    if (shorter + longer > budget) {
      shorter = budget / 2;
      longer = shorter + budget % 2;
    }
    return firstIsLonger ? new int[] {longer, shorter} : new int[] {shorter, longer};
  }
}
