package dev.finetune.vblora.data.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * BERT's second stage: cut one word into the longest vocabulary pieces from left to right, continuation
 * pieces carrying the "##" prefix. A word that cannot be covered, or that is longer than 100 characters,
 * becomes the unknown token as a whole (not piece by piece), as in Hugging Face's WordpieceTokenizer.
 */
final class WordPieceSplitter {
  static final String CONTINUATION_PREFIX = "##";
  static final int MAX_CHARACTERS_PER_WORD = 100;

  private final Vocabulary vocabulary;
  private final String unknownToken;

  WordPieceSplitter(Vocabulary vocabulary, String unknownToken) {
    this.vocabulary = vocabulary;
    this.unknownToken = unknownToken;
  }

  /** Appends the pieces of {@code word} to {@code pieces}. */
  void split(String word, List<String> pieces) {
    int[] cps = word.codePoints().toArray();
    if (cps.length > MAX_CHARACTERS_PER_WORD) {
      pieces.add(unknownToken);
      return;
    }
    List<String> found = new ArrayList<>();
    int start = 0;
    while (start < cps.length) {
      String match = null;
      int end = cps.length;
      for (; end > start; end--) {
        String candidate = new String(cps, start, end - start);
        if (start > 0) {
          candidate = CONTINUATION_PREFIX + candidate;
        }
        if (vocabulary.contains(candidate)) {
          match = candidate;
          break;
        }
      }
      if (match == null) {
        pieces.add(unknownToken);
        return;
      }
      found.add(match);
      start = end;
    }
    pieces.addAll(found);
  }
}
