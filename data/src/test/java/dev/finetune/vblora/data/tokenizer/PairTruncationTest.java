package dev.finetune.vblora.data.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * "longest_first" as the Hugging Face tokenizers library computes it (TruncationStrategy::LongestFirst in
 * tokenizers/src/utils/truncation.rs), worked out by hand for each kind of case. Where the rule differs from
 * the older Python loop (remove one token at a time from the longer text, the second on ties), the golden
 * file's pairs side with this rule.
 */
class PairTruncationTest {
  @ParameterizedTest(name = "{0} + {1} tokens in {2} -> {3} + {4}")
  @CsvSource({
      // first, second, budget, keepFirst, keepSecond
      "5, 5, 10, 5, 5", // fits: nothing cut
      "0, 0, 0, 0, 0",
      "3, 10, 9, 3, 6", // only the longer text is cut, the shorter stays whole
      "10, 3, 9, 6, 3",
      "10, 10, 9, 4, 5", // both cut to half; the odd token to the second on a tie
      "12, 10, 9, 5, 4", // ... and to the longer one otherwise
      "10, 12, 9, 4, 5",
      "17, 18, 29, 14, 15",
      "15, 15, 29, 14, 15", // the Python loop would keep 15 + 14 here
      "20, 2, 0, 0, 0",
      "1, 20, 5, 1, 4",
      "7, 8, 1, 0, 1",
  })
  void keepsTokensLongestFirst(int first, int second, int budget, int keepFirst, int keepSecond) {
    assertArrayEquals(new int[] {keepFirst, keepSecond}, PairTruncation.keep(first, second, budget));
  }
}
