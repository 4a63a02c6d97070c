package dev.finetune.vblora.data.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The strict JSON reader: what RFC 8259 allows comes back as plain Java values, the rest is refused. */
class JsonTest {
  @Test
  void readsObjectsInDocumentOrder() {
    Object v = Json.parse(" {\"b\": [1, -2.5e3, true, false, null], \"a\": {\"x\": \"y\"}} ");
    Map<?, ?> map = (Map<?, ?>) v;
    assertEquals(List.of("b", "a"), List.copyOf(map.keySet()));
    assertEquals(Arrays.asList(new BigDecimal("1"), new BigDecimal("-2.5e3"), true, false, null), map.get("b"));
    assertEquals(Map.of("x", "y"), map.get("a"));
  }

  @Test
  void numbersKeepTheirWrittenForm() {
    assertEquals("1", Json.parse("1").toString());
    assertEquals("1.0", Json.parse("1.0").toString());
  }

  @Test
  void decodesEscapesAndSurrogatePairs() {
    assertEquals("a\"b\\c/\b\f\n\r\t\u00e9\uD83D\uDE00",
        Json.parse("\"a\\\"b\\\\c\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\""));
  }

  @Test
  void nullIsJavaNull() {
    assertNull(Json.parse("null"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "{", "[1,]", "{\"a\":1,}", "'a'", "01", "1.", "-", "1e", "NaN", "tru",
      "{\"a\":1,\"a\":2}", "[1] 2", "\"a\tb\"", "\"\\x\"", "\"\\u12\"", "{a:1}", "// c\n1", "[1 2]"})
  void refusesWhatIsNotStrictJson(String text) {
    assertThrows(JsonSyntaxException.class, () -> Json.parse(text));
  }

  @Test
  void saysWhereTheProblemIs() {
    JsonSyntaxException e = assertThrows(JsonSyntaxException.class, () -> Json.parse("{\"a\": 1, \"a\": 2}"));
    assertEquals(9, e.offset());
    assertTrue(e.getMessage().contains("duplicate key \"a\""), e.getMessage());
    assertEquals("duplicate key \"a\"", e.problem());
  }

  @Test
  void refusesNestingDeeperThanItCanRead() {
    assertThrows(JsonSyntaxException.class, () -> Json.parse("[".repeat(100_000)));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {"plain|\"plain\"", "say \"hi\"|\"say \\\"hi\\\"\"", "a\\b|\"a\\\\b\""})
  void quotesStrings(String raw, String quoted) {
    assertEquals(quoted, Json.quote(raw));
    assertEquals(raw, Json.parse(quoted));
  }

  @Test
  void quotesControlCharactersSoTheyReadBack() {
    String raw = "line\nbreak\u0001\ttab";
    assertEquals(raw, Json.parse(Json.quote(raw)));
  }
}
