package dev.finetune.vblora.data.tokenizer;

/**
 * The character classes of BERT's basic tokenizer, defined exactly as Hugging Face defines them (both the
 * Python BasicTokenizer and the Rust BertNormalizer/BertPreTokenizer agree on these), so that a text splits
 * into the same words here as in Python.
 */
final class BertCharacters {
  private BertCharacters() {}

  /**
   * Space, tab, newline, carriage return, or a Unicode space, line or paragraph separator (Zs, Zl, Zp).
   * Python's BasicTokenizer keeps Zl/Zp characters but then splits on them (str.split); the Rust normalizer
   * turns them into spaces: either way they end a word, which is what counting them here achieves. The
   * other Unicode white space characters (U+0085, U+000B...) are controls and removed before this matters.
   */
  static boolean isWhitespace(int cp) {
    if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r') {
      return true;
    }
    int type = Character.getType(cp);
    return type == Character.SPACE_SEPARATOR || type == Character.LINE_SEPARATOR
        || type == Character.PARAGRAPH_SEPARATOR;
  }

  /**
   * Unicode "other" (Cc, Cf, Cs, Co, Cn), except tab, newline and carriage return, which BERT counts as
   * whitespace.
   */
  static boolean isControl(int cp) {
    if (cp == '\t' || cp == '\n' || cp == '\r') {
      return false;
    }
    switch (Character.getType(cp)) {
      case Character.CONTROL:
      case Character.FORMAT:
      case Character.SURROGATE:
      case Character.PRIVATE_USE:
      case Character.UNASSIGNED:
        return true;
      default:
        return false;
    }
  }

  /**
   * All non-alphanumeric ASCII symbols (33-47, 58-64, 91-96, 123-126: BERT counts "$", "^", "`" and the
   * like as punctuation although Unicode does not) and every Unicode punctuation category (P*).
   */
  static boolean isPunctuation(int cp) {
    if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96)
        || (cp >= 123 && cp <= 126)) {
      return true;
    }
    switch (Character.getType(cp)) {
      case Character.CONNECTOR_PUNCTUATION:
      case Character.DASH_PUNCTUATION:
      case Character.START_PUNCTUATION:
      case Character.END_PUNCTUATION:
      case Character.INITIAL_QUOTE_PUNCTUATION:
      case Character.FINAL_QUOTE_PUNCTUATION:
      case Character.OTHER_PUNCTUATION:
        return true;
      default:
        return false;
    }
  }

  /**
   * A CJK Unified Ideograph (the blocks BERT's authors listed). Hangul, Hiragana and Katakana are not in
   * it: those scripts separate words with spaces, or are handled by word pieces.
   */
  static boolean isChineseCharacter(int cp) {
    return (cp >= 0x4E00 && cp <= 0x9FFF)
        || (cp >= 0x3400 && cp <= 0x4DBF)
        || (cp >= 0x20000 && cp <= 0x2A6DF)
        || (cp >= 0x2A700 && cp <= 0x2B73F)
        || (cp >= 0x2B740 && cp <= 0x2B81F)
        || (cp >= 0x2B820 && cp <= 0x2CEAF)
        || (cp >= 0xF900 && cp <= 0xFAFF)
        || (cp >= 0x2F800 && cp <= 0x2FA1F);
  }
}
