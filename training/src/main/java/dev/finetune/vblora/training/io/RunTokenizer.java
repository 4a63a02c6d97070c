package dev.finetune.vblora.training.io;

import dev.finetune.vblora.data.tokenizer.WordPieceTokenizer;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The tokenizer of a train or eval run: the vocab file given, else the model's own assets/vocab.txt. The one place
 * a run picks its tokenizer (train and eval both call it).
 */
public final class RunTokenizer {
  private RunTokenizer() {}

  /** @param vocab a vocab.txt, or null for the model's own */
  public static WordPieceTokenizer of(Path vocab, Path modelFolder) throws IOException {
    return vocab != null ? WordPieceTokenizer.fromVocab(vocab) : WordPieceTokenizer.fromSavedModel(modelFolder);
  }
}
