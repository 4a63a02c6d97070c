package dev.finetune.vblora.data.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.data.testing.EasyBertVocab;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Hugging Face's BertTokenizer and ours agree on every reference row of every built-in model
 * (src/test/resources/tokenizer/hf-golden, see its README): word pieces, input ids and token type ids, over
 * accents, CJK, many scripts, emoji, full-width and combining characters, controls, odd white space and
 * cased text, with each model's own vocabulary and the lower-casing the row was made with.
 */
class WordPieceParityTest {
  private static final int ROWS_PER_FILE = 34;
  /** The rows are not truncated; no row comes near this. */
  private static final int NO_TRUNCATION = 1 << 20;

  @ParameterizedTest(name = "{0}")
  @CsvSource({"bert-base-uncased, UNCASED", "bert-base-cased, CASED",
      "bert-base-multilingual-cased, MULTILINGUAL_CASED"})
  void everyReferenceRowComesOutAsHuggingFaceTokenizedIt(String model, EasyBertVocab vocab) throws IOException {
    List<Map<String, Object>> rows = rows(model);
    List<String> mismatches = new ArrayList<>();
    for (Map<String, Object> row : rows) {
      WordPieceTokenizer tokenizer = WordPieceTokenizer.of(vocab.vocabulary(), Json.getBoolean(row, "lower_case"));
      String text = Json.getString(row, "text");
      String pair = row.containsKey("text_pair") ? Json.getString(row, "text_pair") : null;
      List<String> tokens = new ArrayList<>(tokenizer.tokenize(text));
      if (pair != null) {
        tokens.addAll(tokenizer.tokenize(pair));
      }
      Encoding encoding = tokenizer.encode(text, pair, NO_TRUNCATION);
      if (!row.get("tokens").equals(tokens)
          || !Arrays.equals(ints(row, "input_ids"), encoding.inputIds())
          || !Arrays.equals(ints(row, "token_type_ids"), encoding.tokenTypeIds())) {
        mismatches.add(Json.quote(text) + (pair == null ? "" : " / " + Json.quote(pair)) + ":\n  expected "
            + row.get("tokens") + " " + row.get("input_ids") + "\n  got      " + tokens + " "
            + Arrays.toString(encoding.inputIds()) + " types " + Arrays.toString(encoding.tokenTypeIds()));
      }
    }
    assertEquals(ROWS_PER_FILE, rows.size(), model + ": the reference file should have " + ROWS_PER_FILE + " rows");
    assertEquals(List.of(), mismatches, model + ": rows that differ from Hugging Face");
  }

  @ParameterizedTest(name = "{0}: {2} entries")
  @CsvSource({"bert-base-uncased, UNCASED, 30522", "bert-base-cased, CASED, 28996",
      "bert-base-multilingual-cased, MULTILINGUAL_CASED, 119547"})
  void eachModelHasItsPublishedVocabularySize(String model, EasyBertVocab vocab, int size) {
    assertEquals(size, vocab.vocabulary().size(), model);
  }

  private static List<Map<String, Object>> rows(String model) throws IOException {
    String resource = "/tokenizer/hf-golden/" + model + ".jsonl";
    try (InputStream in = WordPieceParityTest.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IOException("test resource " + resource + " is missing");
      }
      List<Map<String, Object>> rows = new ArrayList<>();
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (!line.isBlank()) {
          Map<String, Object> row = Json.parseObject(line);
          assertEquals(model, Json.getString(row, "model"), resource + " holds another model's row");
          rows.add(row);
        }
      }
      return rows;
    }
  }

  private static int[] ints(Map<String, Object> row, String key) {
    return Arrays.stream(Json.getLongArray(row, key)).mapToInt(Math::toIntExact).toArray();
  }
}
