package dev.finetune.vblora.data.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Word pieces, special tokens, truncation and padding on a tiny vocabulary (Hugging Face's test vocabulary
 * plus a few tokens), where every expected id can be read off the list below.
 */
class WordPieceTokenizerTest {
  private static final List<String> TOKENS = List.of(
      "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", // 0-4
      "want", "##want", "##ed", "wa", "un", "runn", "##ing", ",", "low", "lowest", // 5-14
      "a", "##a", "b", "c", "d", "e", "!"); // 15-21
  private final WordPieceTokenizer tokenizer = WordPieceTokenizer.of(Vocabulary.of(TOKENS), true);

  @Test
  void splitsWordsIntoLongestPiecesFirst() {
    assertEquals(List.of(), tokenizer.tokenize(""));
    assertEquals(List.of("un", "##want", "##ed", "runn", "##ing"), tokenizer.tokenize("unwanted running"));
    assertEquals(List.of("lowest", ",", "low"), tokenizer.tokenize("LOWEST, low"));
  }

  @Test
  void aWordThatCannotBeCoveredIsOneUnknownToken() {
    assertEquals(List.of("[UNK]", "runn", "##ing"), tokenizer.tokenize("unwantedX running"));
  }

  @Test
  void wordsOfMoreThanOneHundredCharactersAreUnknown() {
    String hundred = "a".repeat(100);
    List<String> pieces = new ArrayList<>(List.of("a"));
    pieces.addAll(Collections.nCopies(99, "##a"));
    assertEquals(pieces, tokenizer.tokenize(hundred));
    assertEquals(List.of("[UNK]", "b"), tokenizer.tokenize(hundred + "a b"));
  }

  @Test
  void specialTokensWrittenInTheTextKeepTheirIds() {
    assertEquals(List.of("want", "[SEP]", "runn", "##ing", "[MASK]"), tokenizer.tokenize("want[SEP]running [MASK]"));
    // matching is exact: a lower-case look-alike is ordinary text ("[", "sep", "]": none in this vocabulary)
    assertEquals(List.of("[UNK]", "[UNK]", "[UNK]"), tokenizer.tokenize("[sep]"));
  }

  @Test
  void encodesASingleTextAsClsTextSep() {
    Encoding e = tokenizer.encode("unwanted running", null, 16);
    assertEquals(List.of("[CLS]", "un", "##want", "##ed", "runn", "##ing", "[SEP]"), e.tokens());
    assertArrayEquals(new int[] {2, 9, 6, 7, 10, 11, 3}, e.inputIds());
    assertArrayEquals(new int[7], e.tokenTypeIds());
    assertArrayEquals(new int[] {1, 1, 1, 1, 1, 1, 1}, e.attentionMask());
  }

  @Test
  void encodesAPairWithSegmentOneForTheSecondText() {
    Encoding e = tokenizer.encode("want", "a b", 16);
    assertArrayEquals(new int[] {2, 5, 3, 15, 17, 3}, e.inputIds());
    assertArrayEquals(new int[] {0, 0, 0, 1, 1, 1}, e.tokenTypeIds());
  }

  @Test
  void truncatesASingleTextAtItsEnd() {
    Encoding e = tokenizer.encode("a b c d e", null, 5);
    assertEquals(List.of("[CLS]", "a", "b", "c", "[SEP]"), e.tokens());
    assertEquals(2, e.droppedTokens(), "d and e");
    assertEquals(2, tokenizer.pad(e, 8).droppedTokens(), "padding keeps the count");
    assertEquals(0, tokenizer.encode("a b c", null, 5).droppedTokens(), "an exact fit loses nothing");
  }

  @Test
  void truncatesAPairLongestFirst() {
    // 5 + 2 tokens, budget 8 - 3 = 5: the shorter text stays whole, the longer one gets the rest
    assertEquals(List.of("[CLS]", "a", "b", "c", "[SEP]", "d", "e", "[SEP]"),
        tokenizer.encode("a b c d e", "d e", 8).tokens());
    // 3 + 3 tokens, budget 7 - 3 = 4: two each
    assertEquals(List.of("[CLS]", "a", "b", "[SEP]", "c", "d", "[SEP]"),
        tokenizer.encode("a b e", "c d e", 7).tokens());
    assertEquals(2, tokenizer.encode("a b e", "c d e", 7).droppedTokens(), "an e from each text");
    // 3 + 3 tokens, budget 8 - 3 = 5: the odd token goes to the second text
    assertEquals(List.of("[CLS]", "a", "b", "[SEP]", "c", "d", "e", "[SEP]"),
        tokenizer.encode("a b e", "c d e", 8).tokens());
  }

  @Test
  void padsWithPadIdsSegmentZeroAndMaskZero() {
    Encoding e = tokenizer.encodePadded("want", "a", 8);
    assertArrayEquals(new int[] {2, 5, 3, 15, 3, 0, 0, 0}, e.inputIds());
    assertArrayEquals(new int[] {0, 0, 0, 1, 1, 0, 0, 0}, e.tokenTypeIds());
    assertArrayEquals(new int[] {1, 1, 1, 1, 1, 0, 0, 0}, e.attentionMask());
    assertEquals(List.of("[CLS]", "want", "[SEP]", "a", "[SEP]", "[PAD]", "[PAD]", "[PAD]"), e.tokens());
    assertEquals(5, e.realLength());
  }

  @Test
  void refusesAMaxLengthWithoutRoomForSpecialTokens() {
    var e = assertThrows(IllegalArgumentException.class, () -> tokenizer.encode("a", "b", 2));
    assertTrue(e.getMessage().contains("use at least 3"), e.getMessage());
  }

  @Test
  void refusesToPadBelowTheEncodedLength() {
    Encoding e = tokenizer.encode("a b c", null, 16);
    assertThrows(IllegalArgumentException.class, () -> tokenizer.pad(e, 3));
  }

  @Test
  void aVocabularyWithoutUnknownTokenIsRefusedByName() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> WordPieceTokenizer.of(Vocabulary.of(List.of("[CLS]", "[SEP]", "a")), true));
    assertTrue(e.getMessage().contains("[UNK]"), e.getMessage());
  }

  @Test
  void readsVocabTxtWithIdsFromLineNumbersAndLastDuplicateWinning() throws IOException {
    byte[] txt = "[UNK]\r\n##x\nhello\nhello\n".getBytes(StandardCharsets.UTF_8);
    Vocabulary v = Vocabulary.read(new ByteArrayInputStream(txt), "test");
    assertEquals(4, v.size());
    assertEquals(3, v.idOf("hello").getAsInt());
    assertEquals("##x", v.tokenOf(1));
  }

  @Test
  void aMissingVocabFileIsNamed(@TempDir Path dir) {
    Path missing = dir.resolve("vocab.txt");
    var e = assertThrows(NoSuchFileException.class, () -> WordPieceTokenizer.fromVocab(missing));
    assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
  }

  @Test
  void readsAVocabFile(@TempDir Path dir) throws IOException {
    Path file = Files.write(dir.resolve("vocab.txt"), TOKENS, StandardCharsets.UTF_8);
    assertEquals(List.of("want", "!"), WordPieceTokenizer.fromVocab(file).tokenize("WANT!"));
  }
}
