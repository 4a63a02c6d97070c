package dev.finetune.vblora.data.tokenizer;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;

/**
 * BERT's first stage: normalise a text and cut it into words and punctuation marks, before word pieces.
 *
 * <p>The steps and their order follow Hugging Face's BertNormalizer and BertPreTokenizer: drop NUL, U+FFFD
 * and control characters and turn all white space into spaces; put spaces around CJK ideographs (each one
 * becomes a word); for uncased models decompose (NFD), drop non-spacing marks (accents) and lower-case
 * each character; split on white space; make every punctuation character a word of its own.
 */
final class BasicTokenizer {
  private final boolean lowerCase;

  BasicTokenizer(boolean lowerCase) {
    this.lowerCase = lowerCase;
  }

  /** The words of {@code text}, in order; empty for a text of white space and controls only. */
  List<String> split(String text) {
    String normalized = normalize(text);
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    for (int i = 0; i < normalized.length(); ) {
      int cp = normalized.codePointAt(i);
      i += Character.charCount(cp);
      if (cp == ' ') {
        flush(word, words);
      } else if (BertCharacters.isPunctuation(cp)) {
        flush(word, words);
        words.add(new String(Character.toChars(cp)));
      } else {
        word.appendCodePoint(cp);
      }
    }
    flush(word, words);
    return words;
  }

  String normalize(String text) {
    StringBuilder cleaned = new StringBuilder(text.length() + 8);
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      i += Character.charCount(cp);
      if (cp == 0 || cp == 0xFFFD || BertCharacters.isControl(cp)) {
        continue;
      }
      if (BertCharacters.isWhitespace(cp)) {
        cleaned.append(' ');
      } else if (BertCharacters.isChineseCharacter(cp)) {
        cleaned.append(' ').appendCodePoint(cp).append(' ');
      } else {
        cleaned.appendCodePoint(cp);
      }
    }
    return lowerCase ? stripAccentsAndLowerCase(cleaned.toString()) : cleaned.toString();
  }

  /**
   * Accents first, then case, one character at a time (as the Rust normalizer does): decomposing first means
   * that "İ" becomes "I" + a dot that is dropped, and per-character lower-casing keeps the text's length in
   * characters unchanged.
   */
  private static String stripAccentsAndLowerCase(String text) {
    String decomposed = Normalizer.normalize(text, Normalizer.Form.NFD);
    StringBuilder out = new StringBuilder(decomposed.length());
    for (int i = 0; i < decomposed.length(); ) {
      int cp = decomposed.codePointAt(i);
      i += Character.charCount(cp);
      if (Character.getType(cp) != Character.NON_SPACING_MARK) {
        out.appendCodePoint(Character.toLowerCase(cp));
      }
    }
    return out.toString();
  }

  private static void flush(StringBuilder word, List<String> words) {
    if (word.length() > 0) {
      words.add(word.toString());
      word.setLength(0);
    }
  }
}
