package dev.finetune.vblora.data.json;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON (RFC 8259) reader, and the string quoting that writing JSON needs.
 *
 * <p>Values map to Java as: object to an unmodifiable {@code Map<String, Object>} in document order,
 * array to an unmodifiable {@code List<Object>}, string to {@code String}, number to {@code BigDecimal}
 * (exact, so that a label written "1" stays "1"), true/false to {@code Boolean}, null to {@code null}.
 * Anything else (trailing commas, comments, single quotes, NaN, leading zeros, duplicate keys, raw control
 * characters in strings, text after the value) is an error that says where.
 */
public final class Json {
  private static final int MAX_DEPTH = 512;

  private final String text;
  private int pos;
  private int depth;

  private Json(String text) {
    this.text = text;
  }

  /** Parses one JSON document; white space around it is allowed, anything else is not. */
  public static Object parse(String text) {
    Json parser = new Json(text);
    parser.skipWhitespace();
    Object value = parser.value();
    parser.skipWhitespace();
    if (parser.pos < text.length()) {
      throw parser.error("unexpected text after the JSON value");
    }
    return value;
  }

  /** {@code s} as a JSON string literal, quotes included. */
  public static String quote(String s) {
    StringBuilder out = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }

  private Object value() {
    if (pos >= text.length()) {
      throw error("a value is missing");
    }
    char c = text.charAt(pos);
    switch (c) {
      case '{':
        return object();
      case '[':
        return array();
      case '"':
        return string();
      case 't':
        return literal("true", Boolean.TRUE);
      case 'f':
        return literal("false", Boolean.FALSE);
      case 'n':
        return literal("null", null);
      default:
        if (c == '-' || (c >= '0' && c <= '9')) {
          return number();
        }
        throw error("unexpected character '" + c + "'");
    }
  }

  private Map<String, Object> object() {
    enter();
    pos++; // {
    Map<String, Object> map = new LinkedHashMap<>();
    skipWhitespace();
    if (peek() == '}') {
      pos++;
      return leave(Collections.unmodifiableMap(map));
    }
    while (true) {
      skipWhitespace();
      if (peek() != '"') {
        throw error("an object key must be a string in double quotes");
      }
      int keyAt = pos;
      String key = string();
      if (map.containsKey(key)) {
        pos = keyAt;
        throw error("duplicate key " + quote(key));
      }
      skipWhitespace();
      expect(':');
      skipWhitespace();
      map.put(key, value());
      skipWhitespace();
      if (peek() == ',') {
        pos++;
      } else if (peek() == '}') {
        pos++;
        return leave(Collections.unmodifiableMap(map));
      } else {
        throw error("expected ',' or '}' in an object");
      }
    }
  }

  private List<Object> array() {
    enter();
    pos++; // [
    List<Object> list = new ArrayList<>();
    skipWhitespace();
    if (peek() == ']') {
      pos++;
      return leave(Collections.unmodifiableList(list));
    }
    while (true) {
      skipWhitespace();
      list.add(value());
      skipWhitespace();
      if (peek() == ',') {
        pos++;
      } else if (peek() == ']') {
        pos++;
        return leave(Collections.unmodifiableList(list));
      } else {
        throw error("expected ',' or ']' in an array");
      }
    }
  }

  private String string() {
    pos++; // opening quote
    StringBuilder out = new StringBuilder();
    while (true) {
      if (pos >= text.length()) {
        throw error("a string is not closed");
      }
      char c = text.charAt(pos++);
      if (c == '"') {
        return out.toString();
      } else if (c == '\\') {
        escape(out);
      } else if (c < 0x20) {
        pos--;
        throw error("a control character must be escaped inside a string");
      } else {
        out.append(c);
      }
    }
  }

  private void escape(StringBuilder out) {
    if (pos >= text.length()) {
      throw error("a string is not closed");
    }
    char c = text.charAt(pos++);
    switch (c) {
      case '"' -> out.append('"');
      case '\\' -> out.append('\\');
      case '/' -> out.append('/');
      case 'b' -> out.append('\b');
      case 'f' -> out.append('\f');
      case 'n' -> out.append('\n');
      case 'r' -> out.append('\r');
      case 't' -> out.append('\t');
      case 'u' -> {
        if (pos + 4 > text.length()) {
          throw error("\\u needs four hex digits");
        }
        int code = 0;
        for (int i = 0; i < 4; i++) {
          int digit = Character.digit(text.charAt(pos + i), 16);
          if (digit < 0) {
            throw error("\\u needs four hex digits");
          }
          code = code * 16 + digit;
        }
        pos += 4;
        out.append((char) code); // surrogate pairs come as two escapes and recombine in the string
      }
      default -> {
        pos--;
        throw error("unknown escape \\" + c);
      }
    }
  }

  private BigDecimal number() {
    int start = pos;
    if (peek() == '-') {
      pos++;
    }
    if (peek() == '0') {
      pos++;
    } else if (isDigit(peek())) {
      digits();
    } else {
      throw error("a number needs digits");
    }
    if (peek() == '.') {
      pos++;
      if (!isDigit(peek())) {
        throw error("a number needs digits after '.'");
      }
      digits();
    }
    if (peek() == 'e' || peek() == 'E') {
      pos++;
      if (peek() == '+' || peek() == '-') {
        pos++;
      }
      if (!isDigit(peek())) {
        throw error("a number needs digits in its exponent");
      }
      digits();
    }
    if (isDigit(peek())) {
      throw error("a number must not have leading zeros");
    }
    return new BigDecimal(text.substring(start, pos));
  }

  private void digits() {
    while (isDigit(peek())) {
      pos++;
    }
  }

  private Object literal(String word, Object value) {
    if (!text.startsWith(word, pos)) {
      throw error("unexpected word (JSON knows true, false and null)");
    }
    pos += word.length();
    return value;
  }

  private void expect(char c) {
    if (peek() != c) {
      throw error("expected '" + c + "'");
    }
    pos++;
  }

  private char peek() {
    return pos < text.length() ? text.charAt(pos) : '\0';
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private void skipWhitespace() {
    while (pos < text.length()) {
      char c = text.charAt(pos);
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        return;
      }
      pos++;
    }
  }

  private void enter() {
    if (++depth > MAX_DEPTH) {
      throw error("nesting deeper than " + MAX_DEPTH + " levels");
    }
  }

  private <T> T leave(T value) {
    depth--;
    return value;
  }

  private JsonSyntaxException error(String what) {
    return new JsonSyntaxException(what, pos);
  }
}
