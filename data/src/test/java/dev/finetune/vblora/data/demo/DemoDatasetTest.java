package dev.finetune.vblora.data.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.data.Dataset;
import dev.finetune.vblora.data.DatasetReader;
import dev.finetune.vblora.data.Example;
import dev.finetune.vblora.data.testing.EasyBertVocab;
import dev.finetune.vblora.data.tokenizer.WordPieceTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The built-in demo set: 320 + 80 sentences, balanced labels, no sentence twice. */
class DemoDatasetTest {
  @TempDir static Path dir;
  static Dataset train;
  static Dataset valid;

  @BeforeAll
  static void readBothParts() throws IOException {
    Path folder = DemoDataset.copyTo(dir.resolve("demo"));
    train = DatasetReader.read(folder.resolve(DemoDataset.TRAIN_FILE), DemoDataset.readOptions());
    valid = DatasetReader.read(folder.resolve(DemoDataset.VALID_FILE), DemoDataset.readOptions(), train.labels());
  }

  private static List<String> sentences(Dataset d) {
    return d.examples().stream().map(Example::text).toList();
  }

  @Test
  void loadsWithTheReadersAndHeaderNames() {
    assertEquals(320, train.size());
    assertEquals(80, valid.size());
    assertEquals(List.of("0", "1"), train.labels().names());
  }

  @Test
  void labelsAreBalanced() {
    assertArrayEquals(new int[] {160, 160}, train.classCounts());
    assertArrayEquals(new int[] {40, 40}, valid.classCounts());
  }

  @Test
  void noSentenceAppearsTwiceOrInBothParts() {
    Set<String> seen = new HashSet<>();
    Stream.concat(sentences(train).stream(), sentences(valid).stream()).forEach(s ->
        assertTrue(seen.add(s.toLowerCase(Locale.ROOT)), () -> "repeated: " + s));
    assertEquals(400, seen.size());
  }

  @Test
  void sentencesAreShortWithoutStrayWhitespace() {
    for (String s : Stream.concat(sentences(train).stream(), sentences(valid).stream()).toList()) {
      assertEquals(s.strip(), s);
      int words = s.split(" ").length;
      assertTrue(words >= 4 && words <= 20, () -> words + " words: " + s);
    }
  }

  @Test
  void fitsBertInThirtyTwoTokens() {
    WordPieceTokenizer tokenizer = WordPieceTokenizer.of(EasyBertVocab.UNCASED.vocabulary(), true);
    int longest = Stream.concat(sentences(train).stream(), sentences(valid).stream())
        .mapToInt(s -> tokenizer.tokenize(s).size() + 2).max().orElseThrow();
    assertTrue(longest <= 32, "longest demo sentence: " + longest + " tokens");
  }

  @Test
  void theStreamsHoldTheSameFiles() throws IOException {
    try (InputStream in = DemoDataset.openTrain()) {
      String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(text.startsWith("sentence\tlabel\n"));
      assertEquals(321, text.lines().count());
    }
    try (InputStream in = DemoDataset.openValid()) {
      assertEquals(81, new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().count());
    }
  }
}
