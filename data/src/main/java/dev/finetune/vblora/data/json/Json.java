package dev.finetune.vblora.data.json;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The project's JSON: a strict reader, three writers and typed accessors, so that no JSON library has to be
 * in the build.
 *
 * <p>Values are {@code Map<String, Object>} (a {@link LinkedHashMap} in document order, unmodifiable when
 * read), {@code List<Object>} (unmodifiable when read), {@link String}, {@link Long} (numbers without fraction
 * or exponent), {@link Double} (all other numbers), {@link Boolean} and {@code null}; Python's json module
 * reads JSON the same way (int or float). The reader rejects what RFC 8259 rejects (trailing commas, leading
 * zeros, NaN, comments, single quotes, unescaped control characters, text after the value) and also
 * duplicate object keys, which would make a file ambiguous, and integers outside the 64-bit range; its errors
 * ({@link JsonSyntaxException}) say where.
 *
 * <p>Writers: {@link #toPythonJson} reproduces Python's {@code json.dumps(value, indent=2, sort_keys=True)},
 * which is how PEFT writes adapter_config.json, so a config we write looks exactly like one PEFT writes;
 * {@link #toIndentedJson} is the same without sorting, for files people read; {@link #toCompactJson}
 * reproduces serde_json's compact output in insertion order, which is how the safetensors library writes its
 * header, and suits one-object-per-line logs. Writers take Long/Integer/Short/Byte, Double/Float (finite
 * only: JSON has no NaN), String, Boolean, null, Maps with String keys and Lists.
 */
public final class Json {
  private static final int MAX_DEPTH = 512;
  private static final int MAX_SHOWN = 80;

  private Json() {}

  /** Parses one JSON document; white space around it is allowed, anything else is not. */
  public static Object parse(String text) {
    Parser parser = new Parser(text);
    parser.skipWhitespace();
    Object value = parser.value(0);
    parser.skipWhitespace();
    if (parser.pos != text.length()) {
      throw new JsonSyntaxException("unexpected text after the JSON value", parser.pos);
    }
    return value;
  }

  /** Parses a document that must be a JSON object ({@link JsonException} when it is another value). */
  public static Map<String, Object> parseObject(String text) {
    return asObject(parse(text), "the JSON document");
  }

  /** Python's {@code json.dumps(value, indent=2, sort_keys=True)} (ensure_ascii, keys sorted by code point). */
  public static String toPythonJson(Object value) {
    StringBuilder out = new StringBuilder();
    writeIndented(value, 0, true, out);
    return out.toString();
  }

  /** Python's {@code json.dumps(value, indent=2)}: as {@link #toPythonJson} but keys in the map's order. */
  public static String toIndentedJson(Object value) {
    StringBuilder out = new StringBuilder();
    writeIndented(value, 0, false, out);
    return out.toString();
  }

  /** serde_json's compact form: no whitespace, keys in the map's own order, non-ASCII text left as is. */
  public static String toCompactJson(Object value) {
    StringBuilder out = new StringBuilder();
    writeCompact(value, out);
    return out.toString();
  }

  /** {@code s} as a JSON string literal, quotes included (the escaping of {@link #toCompactJson}). */
  public static String quote(String s) {
    StringBuilder out = new StringBuilder(s.length() + 2);
    writeCompactString(s, out);
    return out.toString();
  }

  /**
   * Python's {@code repr(float)}: the shortest decimal that reads back to the same double, in fixed notation
   * for decimal exponents -4..15 (e.g. {@code 0.0001}, {@code 100.0}) and {@code 1e-05} / {@code 1e+16} style
   * beyond. (The shortest digits are found by rounding the exact value; at powers of two Python's algorithm can
   * pick a different shortest string in rare cases.)
   */
  public static String pythonFloatRepr(double value) {
    if (Double.isNaN(value) || Double.isInfinite(value)) {
      throw new IllegalArgumentException("JSON cannot hold the number " + value);
    }
    if (value == 0.0) {
      return 1.0 / value < 0 ? "-0.0" : "0.0";
    }
    BigDecimal exact = new BigDecimal(value);
    BigDecimal shortest = exact;
    for (int precision = 1; precision <= 17; precision++) {
      BigDecimal candidate = exact.round(new MathContext(precision, RoundingMode.HALF_EVEN));
      if (candidate.doubleValue() == value) {
        shortest = candidate;
        break;
      }
    }
    shortest = shortest.stripTrailingZeros();
    String digits = shortest.unscaledValue().abs().toString();
    int decimalPoint = digits.length() - shortest.scale(); // value = 0.digits * 10^decimalPoint
    String sign = value < 0 ? "-" : "";
    if (decimalPoint <= -4 || decimalPoint > 16) {
      int exponent = decimalPoint - 1;
      String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
      String expDigits = String.valueOf(Math.abs(exponent));
      return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + (expDigits.length() < 2 ? "0" : "") + expDigits;
    }
    if (decimalPoint <= 0) {
      return sign + "0." + "0".repeat(-decimalPoint) + digits;
    }
    if (decimalPoint < digits.length()) {
      return sign + digits.substring(0, decimalPoint) + "." + digits.substring(decimalPoint);
    }
    return sign + digits + "0".repeat(decimalPoint - digits.length()) + ".0";
  }

  // ---- typed accessors: each throws a JsonException naming the key when it is missing or of another type

  /** {@code value} as a JSON object; {@code what} names it in the error (e.g. "entry 3 of \"tensors\""). */
  @SuppressWarnings("unchecked") // the reader only makes String keys; writers check keys when writing
  public static Map<String, Object> asObject(Object value, String what) {
    if (value instanceof Map<?, ?> map) {
      return (Map<String, Object>) map;
    }
    throw new JsonException(what + " must be a JSON object, got " + shown(value));
  }

  public static Map<String, Object> getObject(Map<String, ?> object, String key) {
    return asObject(require(object, key), quote(key));
  }

  @SuppressWarnings("unchecked") // the reader's lists are List<Object>
  public static List<Object> getArray(Map<String, ?> object, String key) {
    Object value = require(object, key);
    if (value instanceof List<?> list) {
      return (List<Object>) list;
    }
    throw wrongType(key, "an array", value);
  }

  public static String getString(Map<String, ?> object, String key) {
    Object value = require(object, key);
    if (value instanceof String text) {
      return text;
    }
    throw wrongType(key, "a string", value);
  }

  public static boolean getBoolean(Map<String, ?> object, String key) {
    Object value = require(object, key);
    if (value instanceof Boolean bool) {
      return bool;
    }
    throw wrongType(key, "true or false", value);
  }

  /** An integer (a number written without fraction or exponent). */
  public static long getLong(Map<String, ?> object, String key) {
    Object value = require(object, key);
    if (isInteger(value)) {
      return ((Number) value).longValue();
    }
    throw wrongType(key, "an integer", value);
  }

  /** An integer in the 32-bit range. */
  public static int getInt(Map<String, ?> object, String key) {
    Object value = require(object, key);
    if (isInteger(value)) {
      long n = ((Number) value).longValue();
      if (n >= Integer.MIN_VALUE && n <= Integer.MAX_VALUE) {
        return (int) n;
      }
    }
    throw wrongType(key, "an integer in the 32-bit range", value);
  }

  /** Any number, integers included. */
  public static double getDouble(Map<String, ?> object, String key) {
    Object value = require(object, key);
    if (isInteger(value) || value instanceof Double || value instanceof Float) {
      return ((Number) value).doubleValue();
    }
    throw wrongType(key, "a number", value);
  }

  /** An array of integers, e.g. a shape. */
  public static long[] getLongArray(Map<String, ?> object, String key) {
    List<Object> list = getArray(object, key);
    long[] result = new long[list.size()];
    for (int i = 0; i < result.length; i++) {
      if (!isInteger(list.get(i))) {
        throw wrongType(key, "an array of integers", list);
      }
      result[i] = ((Number) list.get(i)).longValue();
    }
    return result;
  }

  private static boolean isInteger(Object value) {
    return value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte;
  }

  private static Object require(Map<String, ?> object, String key) {
    Object value = object.get(key);
    if (value == null && !object.containsKey(key)) {
      throw new JsonException(quote(key) + " is missing");
    }
    return value;
  }

  private static JsonException wrongType(String key, String expected, Object value) {
    return new JsonException(quote(key) + " must be " + expected + ", got " + shown(value));
  }

  /** A value for an error message: its compact JSON, cut short when long. */
  private static String shown(Object value) {
    String text;
    try {
      text = toCompactJson(value);
    } catch (IllegalArgumentException e) {
      text = String.valueOf(value);
    }
    return text.length() <= MAX_SHOWN ? text : text.substring(0, MAX_SHOWN) + "...";
  }

  // ---- writers

  private static void writeIndented(Object value, int level, boolean sortKeys, StringBuilder out) {
    if (value instanceof Map<?, ?> map) {
      if (map.isEmpty()) {
        out.append("{}");
        return;
      }
      List<String> keys = new ArrayList<>();
      for (Object key : map.keySet()) {
        keys.add(requireKey(key));
      }
      if (sortKeys) {
        keys.sort(Json::compareCodePoints);
      }
      out.append('{');
      String separator = "";
      for (String key : keys) {
        out.append(separator).append('\n').append("  ".repeat(level + 1));
        writePythonString(key, out);
        out.append(": ");
        writeIndented(map.get(key), level + 1, sortKeys, out);
        separator = ",";
      }
      out.append('\n').append("  ".repeat(level)).append('}');
    } else if (value instanceof List<?> list) {
      if (list.isEmpty()) {
        out.append("[]");
        return;
      }
      out.append('[');
      String separator = "";
      for (Object item : list) {
        out.append(separator).append('\n').append("  ".repeat(level + 1));
        writeIndented(item, level + 1, sortKeys, out);
        separator = ",";
      }
      out.append('\n').append("  ".repeat(level)).append(']');
    } else if (value instanceof String text) {
      writePythonString(text, out);
    } else {
      writeScalar(value, out);
    }
  }

  private static void writeCompact(Object value, StringBuilder out) {
    if (value instanceof Map<?, ?> map) {
      out.append('{');
      String separator = "";
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        out.append(separator);
        writeCompactString(requireKey(entry.getKey()), out);
        out.append(':');
        writeCompact(entry.getValue(), out);
        separator = ",";
      }
      out.append('}');
    } else if (value instanceof List<?> list) {
      out.append('[');
      String separator = "";
      for (Object item : list) {
        out.append(separator);
        writeCompact(item, out);
        separator = ",";
      }
      out.append(']');
    } else if (value instanceof String text) {
      writeCompactString(text, out);
    } else {
      writeScalar(value, out);
    }
  }

  private static void writeScalar(Object value, StringBuilder out) {
    if (value == null) {
      out.append("null");
    } else if (value instanceof Boolean bool) {
      out.append(bool ? "true" : "false");
    } else if (isInteger(value)) {
      out.append(((Number) value).longValue());
    } else if (value instanceof Double || value instanceof Float) {
      out.append(pythonFloatRepr(((Number) value).doubleValue()));
    } else {
      throw new IllegalArgumentException("cannot write a " + value.getClass().getName() + " as JSON");
    }
  }

  private static String requireKey(Object key) {
    if (!(key instanceof String text)) {
      throw new IllegalArgumentException("JSON object keys must be strings, got " + key);
    }
    return text;
  }

  /** Python's ensure_ascii escaping: everything outside printable ASCII becomes a backslash-u escape. */
  private static void writePythonString(String text, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (!appendShortEscape(c, out)) {
        if (c < 0x20 || c > 0x7e) {
          out.append(String.format("\\u%04x", (int) c));
        } else {
          out.append(c);
        }
      }
    }
    out.append('"');
  }

  /** serde_json's escaping: only quotes, backslashes and control characters. */
  private static void writeCompactString(String text, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (!appendShortEscape(c, out)) {
        if (c < 0x20) {
          out.append(String.format("\\u%04x", (int) c));
        } else {
          out.append(c);
        }
      }
    }
    out.append('"');
  }

  private static boolean appendShortEscape(char c, StringBuilder out) {
    switch (c) {
      case '"' -> out.append("\\\"");
      case '\\' -> out.append("\\\\");
      case '\n' -> out.append("\\n");
      case '\r' -> out.append("\\r");
      case '\t' -> out.append("\\t");
      case '\b' -> out.append("\\b");
      case '\f' -> out.append("\\f");
      default -> {
        return false;
      }
    }
    return true;
  }

  private static int compareCodePoints(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Boolean.compare(i < a.length(), j < b.length());
  }

  // ---- reader

  private static final class Parser {
    private final String text;
    private int pos;

    Parser(String text) {
      this.text = text;
    }

    Object value(int depth) {
      if (depth > MAX_DEPTH) {
        throw new JsonSyntaxException("nesting deeper than " + MAX_DEPTH + " levels", pos);
      }
      if (pos >= text.length()) {
        throw new JsonSyntaxException("unexpected end of text, expected a value", pos);
      }
      char c = text.charAt(pos);
      return switch (c) {
        case '{' -> object(depth);
        case '[' -> array(depth);
        case '"' -> string();
        case 't' -> literal("true", Boolean.TRUE);
        case 'f' -> literal("false", Boolean.FALSE);
        case 'n' -> literal("null", null);
        default -> {
          if (c == '-' || isAsciiDigit(c)) {
            yield number();
          }
          throw new JsonSyntaxException("unexpected character '" + printable(c) + "', expected a value", pos);
        }
      };
    }

    private Map<String, Object> object(int depth) {
      pos++; // '{'
      Map<String, Object> map = new LinkedHashMap<>();
      skipWhitespace();
      if (peek() == '}') {
        pos++;
        return Collections.unmodifiableMap(map);
      }
      while (true) {
        skipWhitespace();
        if (peek() != '"') {
          throw new JsonSyntaxException("expected a quoted object key", pos);
        }
        int keyStart = pos;
        String key = string();
        if (map.containsKey(key)) {
          throw new JsonSyntaxException("duplicate key " + quote(key), keyStart);
        }
        skipWhitespace();
        expect(':');
        skipWhitespace();
        map.put(key, value(depth + 1));
        skipWhitespace();
        char c = peek();
        pos++;
        if (c == '}') {
          return Collections.unmodifiableMap(map);
        }
        if (c != ',') {
          throw new JsonSyntaxException("expected ',' or '}' in an object", pos - 1);
        }
      }
    }

    private List<Object> array(int depth) {
      pos++; // '['
      List<Object> list = new ArrayList<>();
      skipWhitespace();
      if (peek() == ']') {
        pos++;
        return Collections.unmodifiableList(list);
      }
      while (true) {
        skipWhitespace();
        list.add(value(depth + 1));
        skipWhitespace();
        char c = peek();
        pos++;
        if (c == ']') {
          return Collections.unmodifiableList(list);
        }
        if (c != ',') {
          throw new JsonSyntaxException("expected ',' or ']' in an array", pos - 1);
        }
      }
    }

    private String string() {
      pos++; // opening quote
      StringBuilder out = new StringBuilder();
      while (true) {
        if (pos >= text.length()) {
          throw new JsonSyntaxException("unterminated string", pos);
        }
        char c = text.charAt(pos++);
        if (c == '"') {
          return out.toString();
        }
        if (c < 0x20) {
          throw new JsonSyntaxException("unescaped control character in a string", pos - 1);
        }
        if (c != '\\') {
          out.append(c);
          continue;
        }
        if (pos >= text.length()) {
          throw new JsonSyntaxException("unterminated escape", pos);
        }
        char e = text.charAt(pos++);
        switch (e) {
          case '"', '\\', '/' -> out.append(e);
          case 'b' -> out.append('\b');
          case 'f' -> out.append('\f');
          case 'n' -> out.append('\n');
          case 'r' -> out.append('\r');
          case 't' -> out.append('\t');
          case 'u' -> out.append(unicodeEscape()); // a surrogate pair comes as two escapes and recombines
          default -> throw new JsonSyntaxException("invalid escape '\\" + printable(e) + "'", pos - 2);
        }
      }
    }

    private char unicodeEscape() {
      if (pos + 4 > text.length()) {
        throw new JsonSyntaxException("truncated \\u escape", pos);
      }
      int code = 0;
      for (int i = 0; i < 4; i++) {
        int digit = Character.digit(text.charAt(pos + i), 16);
        if (digit < 0) {
          throw new JsonSyntaxException("invalid hex digit in a \\u escape", pos + i);
        }
        code = code * 16 + digit;
      }
      pos += 4;
      return (char) code;
    }

    private Object number() {
      int start = pos;
      if (peek() == '-') {
        pos++;
      }
      if (peek() == '0') {
        pos++;
        if (isAsciiDigit(peek())) {
          throw new JsonSyntaxException("leading zero in a number", start);
        }
      } else {
        digits(start);
      }
      boolean integral = true;
      if (peek() == '.') {
        pos++;
        digits(start);
        integral = false;
      }
      if (peek() == 'e' || peek() == 'E') {
        pos++;
        if (peek() == '+' || peek() == '-') {
          pos++;
        }
        digits(start);
        integral = false;
      }
      String literal = text.substring(start, pos);
      if (integral) {
        try {
          return Long.parseLong(literal);
        } catch (NumberFormatException e) {
          throw new JsonSyntaxException("integer " + literal + " is out of the 64-bit range", start);
        }
      }
      double value = Double.parseDouble(literal);
      if (Double.isInfinite(value)) {
        throw new JsonSyntaxException("number " + literal + " is out of the double range", start);
      }
      return value;
    }

    private void digits(int numberStart) {
      int first = pos;
      while (isAsciiDigit(peek())) {
        pos++;
      }
      if (pos == first) {
        throw new JsonSyntaxException("malformed number", numberStart);
      }
    }

    private static boolean isAsciiDigit(char c) {
      return c >= '0' && c <= '9';
    }

    private Object literal(String word, Object value) {
      if (!text.startsWith(word, pos)) {
        throw new JsonSyntaxException("unexpected text, expected '" + word + "'", pos);
      }
      pos += word.length();
      return value;
    }

    private void expect(char c) {
      if (peek() != c) {
        throw new JsonSyntaxException("expected '" + c + "'", pos);
      }
      pos++;
    }

    /** The current character, or NUL at the end (NUL is never valid where a token is expected). */
    private char peek() {
      return pos < text.length() ? text.charAt(pos) : '\0';
    }

    void skipWhitespace() {
      while (pos < text.length()) {
        char c = text.charAt(pos);
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
          return;
        }
        pos++;
      }
    }

    private static String printable(char c) {
      return c < 0x20 || c > 0x7e ? String.format("\\u%04x", (int) c) : String.valueOf(c);
    }
  }
}
