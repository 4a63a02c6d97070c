package dev.finetune.vblora.data.batch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.finetune.vblora.data.Dataset;
import dev.finetune.vblora.data.Example;
import dev.finetune.vblora.data.LabelSet;
import dev.finetune.vblora.data.Task;
import dev.finetune.vblora.data.tokenizer.Vocabulary;
import dev.finetune.vblora.data.tokenizer.WordPieceTokenizer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Encoding a dataset once: the tokenizer's ids, truncated, with each example's label. */
class EncodedDatasetTest {
  // ids: [PAD] 0, [UNK] 1, [CLS] 2, [SEP] 3, good 4, bad 5, film 6
  private final WordPieceTokenizer tokenizer = WordPieceTokenizer.of(
      Vocabulary.of(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "good", "bad", "film")), true);

  @Test
  void encodesTextsAndPairsTruncatedToTheMaxLength() {
    Dataset data = new Dataset(Path.of("d.tsv"), Task.CLASSIFICATION, LabelSet.of(List.of("0", "1")), List.of(
        new Example(1, "Good film", null, 1),
        new Example(2, "bad bad bad bad bad", null, 0),
        new Example(3, "good", "bad film", 1)));
    EncodedDataset encoded = EncodedDataset.encode(data, tokenizer, 5);
    assertArrayEquals(new int[] {2, 4, 6, 3}, encoded.get(0).inputIds());
    assertArrayEquals(new int[] {2, 5, 5, 5, 3}, encoded.get(1).inputIds());
    assertArrayEquals(new int[] {2, 4, 3, 5, 3}, encoded.get(2).inputIds());
    assertArrayEquals(new int[] {0, 0, 0, 1, 1}, encoded.get(2).segmentIds());
    assertEquals(1f, encoded.get(2).label());
    assertEquals(0, encoded.padId());
    assertEquals(data.labels(), encoded.labels());
  }

  /** The word pieces are counted as kept (after truncation), without [CLS] and [SEP]; [UNK] among them apart. */
  @Test
  void countsTheWordPiecesKeptAndThoseTheVocabularyCannotSpell() {
    Dataset data = new Dataset(Path.of("d.tsv"), Task.CLASSIFICATION, LabelSet.of(List.of("0", "1")), List.of(
        new Example(1, "good ภาพยนตร์ film", null, 1),
        new Example(2, "bad 电影 bad 电影 bad", null, 0)));
    EncodedDataset encoded = EncodedDataset.encode(data, tokenizer, 5);
    // "good [UNK] film" in full; the second cut to 3 pieces: "bad [UNK] [UNK]" (CJK characters are words of one)
    assertEquals(6, encoded.wordPieces());
    assertEquals(3, encoded.unknownPieces());
  }
}
