package dev.finetune.vblora.data.tokenizer;

import java.nio.file.Path;

/**
 * A model's tokenizer and where its settings came from.
 *
 * @param tokenizer the WordPiece tokenizer
 * @param vocab the vocab file it was read from
 * @param lowerCase the lower-casing and its source
 */
public record ResolvedTokenizer(WordPieceTokenizer tokenizer, Path vocab, LowerCaseSetting lowerCase) {}
