package dev.finetune.vblora.data.json;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The project's JSON. Expected texts are Python 3's own output (repr, json.dumps, json.loads) and
 * serde_json's, so that the files we write match the ones PEFT and safetensors write.
 */
class JsonTest {

  @Nested
  class Reading {
    @Test
    void objectsKeepDocumentOrder() {
      Map<?, ?> map = (Map<?, ?>) Json.parse(" {\"b\": [1, -2.5e3, true, false, null], \"a\": {\"x\": \"y\"}} ");
      assertEquals(List.of("b", "a"), List.copyOf(map.keySet()));
      assertEquals(Arrays.asList(1L, -2500.0, true, false, null), map.get("b"));
      assertEquals(Map.of("x", "y"), map.get("a"));
    }

    @Test
    void integersAreLongsAndOtherNumbersDoubles() {
      // Python: json.loads('[4, -0, 0.5, 1e-5, 1.2E2]') == [4, 0, 0.5, 1e-05, 120.0]
      assertEquals(List.of(4L, 0L, 0.5, 1e-5, 120.0, Long.MAX_VALUE, Long.MIN_VALUE),
          Json.parse("[4, -0, 0.5, 1e-5, 1.2E2, " + Long.MAX_VALUE + ", " + Long.MIN_VALUE + "]"));
      assertEquals(-0.0, (Double) Json.parse("-0.0"));
      assertTrue(1.0 / (Double) Json.parse("-0.0") < 0, "-0.0 keeps its sign");
    }

    @Test
    void decodesEscapesAndSurrogatePairs() {
      assertEquals("a\"b\\c/\b\f\n\r\t\u00e9\uD83D\uDE00",
          Json.parse("\"a\\\"b\\\\c\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\""));
      assertEquals("\u00e9A\n", Json.parse("\"\\u00e9\\u0041\\n\""));
    }

    @Test
    void nullIsJavaNull() {
      assertNull(Json.parse("null"));
    }

    @Test
    void whatItReadsCannotBeChanged() {
      Map<?, ?> map = (Map<?, ?>) Json.parse("{\"a\": [1]}");
      assertThrows(UnsupportedOperationException.class, () -> map.clear());
      assertThrows(UnsupportedOperationException.class, () -> ((List<?>) map.get("a")).clear());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "{", "[1,]", "{\"a\":1,}", "'a'", "01", "1.", "-", "1e", "NaN", "tru",
        "{\"a\":1,\"a\":2}", "[1] 2", "\"a\tb\"", "\"\\x\"", "\"\\u12\"", "{a:1}", "// c\n1", "[1 2]"})
    void refusesWhatIsNotStrictJson(String text) {
      assertThrows(JsonSyntaxException.class, () -> Json.parse(text));
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @CsvSource(delimiter = '|', value = {
        "{\"a\": 1,}               | was expecting double-quote to start field name",
        "[1, 2,]                   | Unexpected character (']'): expected a valid value",
        "{\"a\": 1, \"a\": 2}      | Duplicate field 'a'",
        "01                        | Leading zeroes not allowed",
        "\"abc                     | was expecting closing quote for a string value",
        "NaN                       | Non-standard token 'NaN'",
        "[1] [2]                   | unexpected text after the JSON value",
        "{\"a\" 1}                 | was expecting a colon",
        "1.                        | Decimal point not followed by a digit",
        "tru                       | Unrecognized token 'tru'",
        "\"\\x\"                   | Unrecognized character escape 'x'",
        "99999999999999999999      | out of the 64-bit range",
        "1e999                     | out of the double range",
        "''                        | unexpected end of text, expected a value"})
    void saysWhatIsWrong(String text, String problem) {
      JsonSyntaxException e = assertThrows(JsonSyntaxException.class, () -> Json.parse(text));
      assertTrue(e.getMessage().startsWith(problem) || e.getMessage().contains(problem), e.getMessage());
      assertFalse(e.getMessage().contains("enable `") || e.getMessage().contains("Source:"),
          "no advice to turn on leniency, no source description: " + e.getMessage());
    }

    @Test
    void nothingButWhiteSpaceIsNoDocument() {
      JsonSyntaxException e = assertThrows(JsonSyntaxException.class, () -> Json.parse(" \n "));
      assertTrue(e.getMessage().startsWith("unexpected end of text, expected a value"), e.getMessage());
    }

    @Test
    void saysWhereTheProblemIsByLineAndColumn() {
      String text = "{\n  \"a\": 1,\n  \"b\": [1, 2,]\n}";
      JsonSyntaxException e = assertThrows(JsonSyntaxException.class, () -> Json.parse(text));
      assertEquals(3, e.line(), e.getMessage());
      int bracket = "  \"b\": [1, 2,".length() + 1; // the ']' that follows the trailing comma
      assertEquals(bracket, e.column(), e.getMessage());
      assertEquals(text.indexOf(",]") + 1, e.offset(), e.getMessage());
      assertTrue(e.getMessage().endsWith(" at line 3, column " + bracket), e.getMessage());
      assertTrue(e.problem().startsWith("Unexpected character (']')"), e.problem());
      assertFalse(e.problem().contains("line"), e.problem());
    }

    @Test
    void refusesControlCharactersAndDeepNesting() {
      assertThrows(JsonSyntaxException.class, () -> Json.parse("\"a\u0001b\""));
      JsonSyntaxException e = assertThrows(JsonSyntaxException.class, () -> Json.parse("[".repeat(100_000)));
      assertTrue(e.getMessage().contains("nesting deeper"), e.getMessage());
    }

    @Test
    void parseObjectRefusesOtherValues() {
      assertEquals(Map.of("a", 1L), Json.parseObject("{\"a\": 1}"));
      JsonException e = assertThrows(JsonException.class, () -> Json.parseObject("[1]"));
      assertEquals("the JSON document must be a JSON object, got [1]", e.getMessage());
    }
  }

  @Nested
  class Writing {
    @ParameterizedTest(name = "repr({0}) = {1}")
    @CsvSource({
        "0.1, 0.1", "0.02, 0.02", "0.0, 0.0", "-0.0, -0.0", "1e-05, 1e-05", "0.0001, 0.0001", "1e16, 1e+16",
        "1e15, 1000000000000000.0", "123456789.123, 123456789.123", "1.5e-07, 1.5e-07", "100.0, 100.0",
        "2.5, 2.5", "0.3333333333333333, 0.3333333333333333", "4.9e-324, 5e-324",
        "1.7976931348623157e308, 1.7976931348623157e+308", "-12345.678, -12345.678", "1e22, 1e+22",
        "0.001, 0.001"})
    void formatsFloatsLikePythonRepr(double value, String python) {
      assertEquals(python, Json.pythonFloatRepr(value));
    }

    @Test
    void pythonFormIsJsonDumpsIndent2SortKeys() {
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
      String python = "{\n  \"a\": \"\\u00e9\\u0001\\\"\\\\/\\t\",\n  \"b\": [\n    1,\n    2.5,\n    {\n"
          + "      \"a\": true,\n      \"z\": null\n    }\n  ],\n  \"c\": {},\n  \"d\": [],\n  \"e\": -3,\n"
          + "  \"\\u00fc\": \"x\\ud83d\\ude00\"\n}";
      assertEquals(python, Json.toPythonJson(value));
      assertEquals(value, Json.parse(python));
    }

    @Test
    void indentedFormIsJsonDumpsIndent2InMapOrder() {
      Map<String, Object> inner = new LinkedHashMap<>();
      inner.put("z", null);
      inner.put("a", true);
      Map<String, Object> value = new LinkedHashMap<>();
      value.put("b", List.of(1, 2.5f, inner));
      value.put("a", "\u00e9");
      // Python: json.dumps({'b': [1, 2.5, {'z': None, 'a': True}], 'a': '\u00e9'}, indent=2)
      String python = "{\n  \"b\": [\n    1,\n    2.5,\n    {\n      \"z\": null,\n      \"a\": true\n    }\n"
          + "  ],\n  \"a\": \"\\u00e9\"\n}";
      assertEquals(python, Json.toIndentedJson(value));
    }

    @Test
    void compactFormKeepsOrderAndNonAscii() {
      Map<String, Object> value = new LinkedHashMap<>();
      value.put("z", List.of(1L, 2L));
      value.put("a", "\u00e9\n");
      value.put("b", Arrays.asList(null, false, 0.25));
      assertEquals("{\"z\":[1,2],\"a\":\"\u00e9\\n\",\"b\":[null,false,0.25]}", Json.toCompactJson(value));
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

    @Test
    void refusesWhatJsonCannotHold() {
      assertThrows(IllegalArgumentException.class, () -> Json.toPythonJson(List.of(Double.NaN)));
      assertThrows(IllegalArgumentException.class, () -> Json.toCompactJson(Double.POSITIVE_INFINITY));
      assertThrows(IllegalArgumentException.class, () -> Json.toCompactJson(Map.of(1, "a")));
      assertThrows(IllegalArgumentException.class, () -> Json.toCompactJson(new Object()));
    }
  }

  @Nested
  class TypedAccess {
    private final Map<String, Object> object = Json.parseObject("{\"name\": \"bank\", \"step\": 12345678901,"
        + " \"rank\": 4, \"lr\": 0.001, \"whole\": 2, \"on\": true, \"shape\": [2, 3], \"inner\": {\"k\": 1},"
        + " \"nothing\": null}");

    @Test
    void readsEachTypeByKey() {
      assertEquals("bank", Json.getString(object, "name"));
      assertEquals(12345678901L, Json.getLong(object, "step"));
      assertEquals(4, Json.getInt(object, "rank"));
      assertEquals(0.001, Json.getDouble(object, "lr"));
      assertEquals(2.0, Json.getDouble(object, "whole"), "an integer is a number too");
      assertTrue(Json.getBoolean(object, "on"));
      assertArrayEquals(new long[] {2, 3}, Json.getLongArray(object, "shape"));
      assertEquals(List.of(2L, 3L), Json.getArray(object, "shape"));
      assertEquals(Map.of("k", 1L), Json.getObject(object, "inner"));
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @CsvSource(delimiter = '|', value = {
        "string | \"missing\" is missing",
        "string-of-null | \"nothing\" must be a string, got null",
        "long-of-double | \"lr\" must be an integer, got 0.001",
        "int-too-big | \"step\" must be an integer in the 32-bit range, got 12345678901",
        "double-of-string | \"name\" must be a number, got \"bank\"",
        "boolean-of-long | \"rank\" must be true or false, got 4",
        "array-of-object | \"inner\" must be an array, got {\"k\":1}",
        "object-of-array | \"shape\" must be a JSON object, got [2,3]",
        "longs-of-object | \"inner\" must be an array, got {\"k\":1}"})
    void errorsNameTheKeyAndWhatWasFound(String call, String message) {
      Executable read = switch (call) {
        case "string" -> () -> Json.getString(object, "missing");
        case "string-of-null" -> () -> Json.getString(object, "nothing");
        case "long-of-double" -> () -> Json.getLong(object, "lr");
        case "int-too-big" -> () -> Json.getInt(object, "step");
        case "double-of-string" -> () -> Json.getDouble(object, "name");
        case "boolean-of-long" -> () -> Json.getBoolean(object, "rank");
        case "array-of-object" -> () -> Json.getArray(object, "inner");
        case "object-of-array" -> () -> Json.getObject(object, "shape");
        case "longs-of-object" -> () -> Json.getLongArray(object, "inner");
        default -> throw new IllegalArgumentException(call);
      };
      JsonException e = assertThrows(JsonException.class, read);
      assertEquals(message, e.getMessage());
    }

    @Test
    void longValuesAreCutShortInErrors() {
      Map<String, Object> big = Json.parseObject("{\"a\": \"" + "x".repeat(500) + "\"}");
      JsonException e = assertThrows(JsonException.class, () -> Json.getLong(big, "a"));
      assertTrue(e.getMessage().length() < 150 && e.getMessage().endsWith("..."), e.getMessage());
    }

    @Test
    void anArrayOfIntegersRefusesOtherItems() {
      Map<String, Object> shape = Json.parseObject("{\"shape\": [2, 1.5]}");
      JsonException e = assertThrows(JsonException.class, () -> Json.getLongArray(shape, "shape"));
      assertEquals("\"shape\" must be an array of integers, got [2,1.5]", e.getMessage());
    }
  }
}
