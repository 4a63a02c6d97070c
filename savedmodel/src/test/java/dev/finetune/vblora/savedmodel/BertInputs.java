package dev.finetune.vblora.savedmodel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Real BERT inputs for a few short sentences made of whole vocabulary words: [CLS] words [SEP], padded to
 * 128, looked up in the model's own assets/vocab.txt (a test-side whitespace lookup, no WordPiece needed).
 */
final class BertInputs {
  static final int LENGTH = 128;
  static final List<String> SENTENCES = List.of(
      "the movie was wonderful and the actors were great",
      "i did not like this film at all",
      "a quiet evening by the river");

  final int[][] inputIds = new int[SENTENCES.size()][LENGTH];
  final int[][] inputMask = new int[SENTENCES.size()][LENGTH];
  final int[][] segmentIds = new int[SENTENCES.size()][LENGTH];

  BertInputs(Path model) {
    Map<String, Integer> vocab = new HashMap<>();
    try {
      List<String> lines = Files.readAllLines(model.resolve("assets/vocab.txt"));
      for (int i = 0; i < lines.size(); i++) {
        vocab.put(lines.get(i), i);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (int s = 0; s < SENTENCES.size(); s++) {
      String[] words = SENTENCES.get(s).split(" ");
      inputIds[s][0] = vocab.get("[CLS]");
      for (int w = 0; w < words.length; w++) {
        Integer id = vocab.get(words[w]);
        if (id == null) {
          throw new IllegalStateException("'" + words[w] + "' is not a whole word of the vocabulary");
        }
        inputIds[s][w + 1] = id;
      }
      inputIds[s][words.length + 1] = vocab.get("[SEP]");
      for (int t = 0; t <= words.length + 1; t++) {
        inputMask[s][t] = 1;
      }
    }
  }
}
