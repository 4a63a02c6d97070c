package dev.finetune.vblora.savedmodel.adapter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Expected texts are Python 3's own output (repr, json.dumps) and serde_json's. */
class JsonTest {
  @ParameterizedTest(name = "repr({0}) = {1}")
  @CsvSource({
      "0.1, 0.1", "0.02, 0.02", "0.0, 0.0", "-0.0, -0.0", "1e-05, 1e-05", "0.0001, 0.0001", "1e16, 1e+16",
      "1e15, 1000000000000000.0", "123456789.123, 123456789.123", "1.5e-07, 1.5e-07", "100.0, 100.0", "2.5, 2.5",
      "0.3333333333333333, 0.3333333333333333", "4.9e-324, 5e-324", "1.7976931348623157e308, 1.7976931348623157e+308",
      "-12345.678, -12345.678", "1e22, 1e+22", "0.001, 0.001"})
  void formatsFloatsLikePythonRepr(double value, String python) {
    assertEquals(python, Json.pythonFloatRepr(value));
  }

  @Test
  void writesLikePythonJsonDumpsIndent2SortKeys() {
    Map<String, Object> inner = new LinkedHashMap<>();
    inner.put("z", null);
    inner.put("a", true);
    Map<String, Object> value = new LinkedHashMap<>();
    value.put("b", List.of(1L, 2.5, inner));
    value.put("a", "\u00e9\u0001\"\\/\t");
    value.put("c", Map.of());
    value.put("d", List.of());
    value.put("e", -3L);
    value.put("\u00fc", "x\ud83d\ude00");
    // Python: json.dumps(d, indent=2, sort_keys=True)
    String python = "{\n  \"a\": \"\\u00e9\\u0001\\\"\\\\/\\t\",\n  \"b\": [\n    1,\n    2.5,\n    {\n      \"a\": true,"
        + "\n      \"z\": null\n    }\n  ],\n  \"c\": {},\n  \"d\": [],\n  \"e\": -3,\n  \"\\u00fc\": \"x\\ud83d\\ude00\"\n}";
    assertEquals(python, Json.toPythonJson(value));
    assertEquals(value, Json.parse(python));
  }

  @Test
  void compactFormKeepsOrderAndNonAscii() {
    Map<String, Object> value = new LinkedHashMap<>();
    value.put("z", List.of(1L, 2L));
    value.put("a", "\u00e9\n");
    assertEquals("{\"z\":[1,2],\"a\":\"\u00e9\\n\"}", Json.toCompactJson(value));
  }

  @Test
  void parsesNumbersAsLongOrDouble() {
    assertEquals(List.of(4L, -0L, 0.5, 1e-5, 120.0, Long.MAX_VALUE), Json.parse("[4, -0, 0.5, 1e-5, 1.2E2, "
        + Long.MAX_VALUE + "]"));
    assertEquals("\u00e9A\n", Json.parse("\"\\u00e9\\u0041\\n\""));
  }

  @ParameterizedTest(name = "[{index}] {1}")
  @CsvSource(delimiter = '|', value = {
      "{\"a\": 1,}               | expected a quoted object key",
      "[1, 2,]                   | unexpected character ']'",
      "{\"a\": 1, \"a\": 2}      | duplicate key \"a\"",
      "01                        | leading zero",
      "\"abc                     | unterminated string",
      "NaN                       | unexpected character 'N'",
      "[1] [2]                   | unexpected text after the JSON value",
      "{\"a\" 1}                 | expected ':'",
      "1.                        | malformed number",
      "tru                       | expected 'true'",
      "\"\\x\"                   | invalid escape",
      "99999999999999999999      | out of the 64-bit range",
      "1e999                     | out of the double range",
      "''                        | expected a value"})
  void rejectsMalformedJson(String text, String problem) {
    Json.SyntaxException e = assertThrows(Json.SyntaxException.class, () -> Json.parse(text));
    assertTrue(e.getMessage().contains(problem), e.getMessage());
  }

  @Test
  void rejectsControlCharactersAndDeepNesting() {
    assertThrows(Json.SyntaxException.class, () -> Json.parse("\"a\u0001b\""));
    char[] deep = new char[10_000];
    Arrays.fill(deep, '[');
    Json.SyntaxException e = assertThrows(Json.SyntaxException.class, () -> Json.parse(new String(deep)));
    assertTrue(e.getMessage().contains("nesting deeper"), e.getMessage());
  }

  @Test
  void refusesToWriteNonFiniteNumbers() {
    assertThrows(IllegalArgumentException.class, () -> Json.toPythonJson(List.of(Double.NaN)));
  }
}
