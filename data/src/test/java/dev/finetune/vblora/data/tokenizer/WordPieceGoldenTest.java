package dev.finetune.vblora.data.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.data.testing.EasyBertVocab;
import dev.finetune.vblora.data.testing.SharedFolder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;

/**
 * Every row of the Hugging Face reference tokenizations (fixtures/tokenizer/wordpiece_golden.jsonl, see its
 * SOURCE.md: BertTokenizer on BERT-base uncased's own vocab.txt) comes out identical here: input ids and
 * token type ids for all rows, and the word pieces where the row lists them.
 */
class WordPieceGoldenTest {
  private static final int SINGLE_MAX_LENGTH = 128;

  @Test
  void reproducesEveryHuggingFaceRow(TestReporter reporter) throws IOException {
    Path golden = SharedFolder.resolve("fixtures/tokenizer/wordpiece_golden.jsonl");
    WordPieceTokenizer tokenizer = WordPieceTokenizer.of(EasyBertVocab.UNCASED.vocabulary(), true);
    List<String> lines = Files.readAllLines(golden, StandardCharsets.UTF_8);
    int rows = 0;
    int matched = 0;
    List<String> mismatches = new ArrayList<>();
    for (String line : lines) {
      if (line.isBlank()) {
        continue;
      }
      rows++;
      Map<String, Object> row = Json.parseObject(line);
      String text = Json.getString(row, "text");
      String pair = row.containsKey("text_b") ? Json.getString(row, "text_b") : null;
      int maxLength = row.containsKey("max_length") ? Json.getInt(row, "max_length") : SINGLE_MAX_LENGTH;
      Encoding encoding = tokenizer.encode(text, pair, maxLength);
      boolean same = Arrays.equals(ints(row, "input_ids"), encoding.inputIds())
          && Arrays.equals(ints(row, "token_type_ids"), encoding.tokenTypeIds())
          && (!row.containsKey("tokens") || row.get("tokens").equals(tokenizer.tokenize(text)));
      if (same) {
        matched++;
      } else if (mismatches.size() < 5) {
        mismatches.add("line " + rows + " " + Json.quote(text) + (pair == null ? "" : " / " + Json.quote(pair))
            + ": expected " + row.get("input_ids") + " got " + Arrays.toString(encoding.inputIds())
            + " (" + encoding.tokens() + ")");
      }
    }
    reporter.publishEntry("matched rows", matched + " of " + rows);
    int total = rows;
    int ok = matched;
    assertEquals(2113, total, "the golden file should have 2,113 rows (see its SOURCE.md)");
    assertEquals(total, ok, () -> ok + " of " + total + " golden rows match; first mismatches:\n"
        + String.join("\n", mismatches));
  }

  private static int[] ints(Map<String, Object> row, String key) {
    return Arrays.stream(Json.getLongArray(row, key)).mapToInt(Math::toIntExact).toArray();
  }
}
