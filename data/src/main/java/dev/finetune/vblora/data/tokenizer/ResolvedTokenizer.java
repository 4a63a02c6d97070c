package dev.finetune.vblora.data.tokenizer;

import java.nio.file.Path;

/**
 * A model's tokenizer and where its settings came from.
 *
 * @param tokenizer the WordPiece tokenizer
 * @param vocab the vocab file it was read from
 * @param lowerCase the lower-casing and its source
 */
public record ResolvedTokenizer(WordPieceTokenizer tokenizer, Path vocab, LowerCaseSetting lowerCase) {
  /** One line for logs, e.g. "vocab assets/vocab.txt (28,996 entries), lower-case false (assets/model.json ...)". */
  public String describe() {
    return String.format(java.util.Locale.ROOT, "vocab %s (%,d entries), lower-case %s (%s)", vocab,
        tokenizer.vocabulary().size(), lowerCase.lowerCase(), lowerCase.source());
  }
}
