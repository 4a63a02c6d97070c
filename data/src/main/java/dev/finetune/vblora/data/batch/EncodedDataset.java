package dev.finetune.vblora.data.batch;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.data.Dataset;
import dev.finetune.vblora.data.Example;
import dev.finetune.vblora.data.LabelSet;
import dev.finetune.vblora.data.Task;
import dev.finetune.vblora.data.tokenizer.Encoding;
import dev.finetune.vblora.data.tokenizer.WordPieceTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A dataset tokenized once, up front: epochs then only regroup and pad the id arrays.
 *
 * @param labels the classes for classification, null for regression
 * @param maxLength the truncation length the examples were encoded with
 * @param padId the token id of padding positions ([PAD] of the tokenizer's vocabulary)
 * @param truncated how many examples lost word pieces to the truncation
 * @param wordPieces the word pieces of the texts as encoded (after truncation; [CLS], [SEP] and padding not counted)
 * @param unknownPieces how many of them are [UNK]: text the vocabulary cannot spell
 */
public record EncodedDataset(Task task, LabelSet labels, int maxLength, int padId,
    List<EncodedExample> examples, int truncated, long wordPieces, long unknownPieces) {
  public EncodedDataset {
    examples = List.copyOf(examples);
    for (EncodedExample e : examples) {
      if (e.length() > maxLength) {
        throw new VbLoraException("an example of " + e.length() + " tokens exceeds max length " + maxLength);
      }
    }
  }

  /** Examples that were not truncated, or whose truncation and pieces are not counted (feature rows, a subset). */
  public EncodedDataset(Task task, LabelSet labels, int maxLength, int padId, List<EncodedExample> examples) {
    this(task, labels, maxLength, padId, examples, 0, 0, 0);
  }

  /** Tokenizes every example, truncated to {@code maxLength} (the text pair too, where there is one). */
  public static EncodedDataset encode(Dataset data, WordPieceTokenizer tokenizer, int maxLength) {
    List<EncodedExample> encoded = new ArrayList<>(data.size());
    int truncated = 0;
    long pieces = 0;
    long unknown = 0;
    for (Example e : data.examples()) {
      Encoding encoding = tokenizer.encode(e.text(), e.textPair(), maxLength);
      encoded.add(new EncodedExample(encoding.inputIds(), encoding.tokenTypeIds(), e.label()));
      truncated += encoding.truncated() ? 1 : 0;
      for (String token : encoding.tokens()) {
        if (!MARKERS.contains(token)) {
          pieces++;
          unknown += token.equals(WordPieceTokenizer.UNK) ? 1 : 0;
        }
      }
    }
    return new EncodedDataset(data.task(), data.labels(), maxLength, tokenizer.padId(), encoded, truncated, pieces,
        unknown);
  }

  /** The tokens an encoding adds around the text, which say nothing of how well the vocabulary covers it. */
  private static final Set<String> MARKERS = Set.of(WordPieceTokenizer.CLS, WordPieceTokenizer.SEP,
      WordPieceTokenizer.PAD);

  public int size() {
    return examples.size();
  }

  public EncodedExample get(int index) {
    return examples.get(index);
  }

  /** The length of the longest example in tokens (0 for an empty dataset). */
  public int longestExample() {
    return examples.stream().mapToInt(EncodedExample::length).max().orElse(0);
  }
}
