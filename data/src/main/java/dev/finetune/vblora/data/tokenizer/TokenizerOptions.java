package dev.finetune.vblora.data.tokenizer;

import java.nio.file.Path;

/**
 * What the user says about a model's tokenizer, each setting optional: what is not given comes from the
 * model ({@link TokenizerResolver}).
 *
 * @param vocab a WordPiece vocab.txt to use instead of the model's own, or null for the model's
 * @param lowerCase whether to lower-case and strip accents (uncased models), or null for what the model's
 *     metadata says; given, it wins over the metadata
 */
public record TokenizerOptions(Path vocab, Boolean lowerCase) {
  /** Everything from the model. */
  public static final TokenizerOptions FROM_MODEL = new TokenizerOptions(null, null);

  public TokenizerOptions withVocab(Path file) {
    return new TokenizerOptions(file, lowerCase);
  }

  public TokenizerOptions withLowerCase(Boolean lower) {
    return new TokenizerOptions(vocab, lower);
  }
}
