package dev.finetune.vblora.data.json;

import dev.finetune.vblora.data.error.VbLoraException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.PrettyPrinter;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The project's JSON, on Jackson's streaming parser and generator: a strict reader, three writers and typed
 * accessors, behind one small facade so that callers deal in plain maps and lists.
 *
 * <p>Values are {@code Map<String, Object>} (a {@link LinkedHashMap} in document order, unmodifiable when
 * read), {@code List<Object>} (unmodifiable when read), {@link String}, {@link Long} (numbers without fraction
 * or exponent), {@link Double} (all other numbers), {@link Boolean} and {@code null}; Python's json module
 * reads JSON the same way (int or float). The reader rejects what RFC 8259 rejects (trailing commas, leading
 * zeros, NaN, comments, single quotes, unescaped control characters, text after the value) and also
 * duplicate object keys, which would make a file ambiguous, integers outside the 64-bit range and nesting
 * deeper than {@value #MAX_DEPTH} levels; its errors ({@link JsonSyntaxException}) say what and where (line
 * and column).
 *
 * <p>Writers: {@link #toPythonJson} reproduces Python's {@code json.dumps(value, indent=2, sort_keys=True)},
 * which is how PEFT writes adapter_config.json, so a config we write looks exactly like one PEFT writes;
 * {@link #toIndentedJson} is the same without sorting, for files people read; {@link #toCompactJson}
 * reproduces serde_json's compact output in insertion order, which is how the safetensors library writes its
 * header, and suits one-object-per-line logs. Jackson does the escaping and layout; numbers are written here
 * (floats as Python's repr, which Jackson's shortest-digit output does not always match). Writers take
 * Long/Integer/Short/Byte, Double/Float (finite only: JSON has no NaN), String, Boolean, null, Maps with String
 * keys and Lists.
 */
public final class Json {
  /** The deepest nesting the reader accepts; deeper input is refused rather than risking the stack. */
  public static final int MAX_DEPTH = 512;
  private static final int MAX_SHOWN = 80;

  private static final JsonFactory FACTORY = JsonFactory.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      // Jackson's own bound is a backstop one level beyond ours, so that ours, with its clearer message, fires.
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH + 2).build())
      .disable(JsonWriteFeature.WRITE_HEX_UPPER_CASE) // \u00e9, as Python and serde_json write it
      .build();

  private Json() {}

  /** Parses one JSON document; white space around it is allowed, anything else is not. */
  public static Object parse(String text) {
    try (JsonParser parser = FACTORY.createParser(text)) {
      if (parser.nextToken() == null) {
        throw syntaxError("unexpected end of text, expected a value", parser.currentLocation());
      }
      Object value = value(parser, 0);
      if (parser.nextToken() != null) {
        throw syntaxError("unexpected text after the JSON value", parser.currentTokenLocation());
      }
      return value;
    } catch (StreamConstraintsException e) {
      throw syntaxError(e.getOriginalMessage(), e.getLocation());
    } catch (JsonProcessingException e) {
      throw syntaxError(JacksonMessages.problem(e), e.getLocation());
    } catch (IOException e) {
      throw new UncheckedIOException("reading JSON from a string", e); // a string source cannot fail to read
    }
  }

  /** Parses a document that must be a JSON object ({@link JsonException} when it is another value). */
  public static Map<String, Object> parseObject(String text) {
    return asObject(parse(text), "the JSON document");
  }

  /** Python's {@code json.dumps(value, indent=2, sort_keys=True)} (ensure_ascii, keys sorted by code point). */
  public static String toPythonJson(Object value) {
    return write(value, Layout.PYTHON_SORTED);
  }

  /** Python's {@code json.dumps(value, indent=2)}: as {@link #toPythonJson} but keys in the map's order. */
  public static String toIndentedJson(Object value) {
    return write(value, Layout.PYTHON);
  }

  /** serde_json's compact form: no whitespace, keys in the map's own order, non-ASCII text left as is. */
  public static String toCompactJson(Object value) {
    return write(value, Layout.COMPACT);
  }

  /** {@code s} as a JSON string literal, quotes included (the escaping of {@link #toCompactJson}). */
  public static String quote(String s) {
    return toCompactJson(s);
  }

  /**
   * Python's {@code repr(float)}: the shortest decimal that reads back to the same double, in fixed notation
   * for decimal exponents -4..15 (e.g. {@code 0.0001}, {@code 100.0}) and {@code 1e-05} / {@code 1e+16} style
   * beyond. (The shortest digits are found by rounding the exact value; at powers of two Python's algorithm can
   * pick a different shortest string in rare cases.)
   */
  public static String pythonFloatRepr(double value) {
    if (Double.isNaN(value) || Double.isInfinite(value)) {
      throw new VbLoraException("JSON cannot hold the number " + value);
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

  /** How a writer lays out and escapes its text. */
  private enum Layout {
    PYTHON_SORTED(true, true),
    PYTHON(true, false),
    COMPACT(false, false);

    final boolean python;
    final boolean sortKeys;

    Layout(boolean python, boolean sortKeys) {
      this.python = python;
      this.sortKeys = sortKeys;
    }
  }

  private static String write(Object value, Layout layout) {
    StringWriter text = new StringWriter();
    try (JsonGenerator out = FACTORY.createGenerator(text)) {
      if (layout.python) {
        out.setPrettyPrinter(pythonIndent());
        out.setCharacterEscapes(PythonAsciiEscapes.INSTANCE);
        out.setHighestNonEscapedChar(127); // ensure_ascii: every non-ASCII character escaped
      }
      writeValue(value, layout.sortKeys, out);
    } catch (IOException e) {
      throw new UncheckedIOException("writing JSON to a string", e); // a string target cannot fail to write
    }
    return text.toString();
  }

  /** json.dumps' indent=2: two spaces a level, ": " after keys, "," at line ends, {} and [] when empty. */
  private static PrettyPrinter pythonIndent() {
    Separators separators = Separators.createDefaultInstance()
        .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
        .withObjectEmptySeparator("")
        .withArrayEmptySeparator("");
    DefaultIndenter indenter = new DefaultIndenter("  ", "\n");
    return new DefaultPrettyPrinter(separators).withObjectIndenter(indenter).withArrayIndenter(indenter);
  }

  private static void writeValue(Object value, boolean sortKeys, JsonGenerator out) throws IOException {
    if (value instanceof Map<?, ?> map) {
      List<String> keys = new ArrayList<>();
      for (Object key : map.keySet()) {
        keys.add(requireKey(key));
      }
      if (sortKeys) {
        keys.sort(Json::compareCodePoints);
      }
      out.writeStartObject();
      for (String key : keys) {
        out.writeFieldName(key);
        writeValue(map.get(key), sortKeys, out);
      }
      out.writeEndObject();
    } else if (value instanceof List<?> list) {
      out.writeStartArray();
      for (Object item : list) {
        writeValue(item, sortKeys, out);
      }
      out.writeEndArray();
    } else if (value instanceof String text) {
      out.writeString(text);
    } else if (value == null) {
      out.writeNull();
    } else if (value instanceof Boolean bool) {
      out.writeBoolean(bool);
    } else if (isInteger(value)) {
      out.writeNumber(((Number) value).longValue());
    } else if (value instanceof Double || value instanceof Float) {
      out.writeNumber(pythonFloatRepr(((Number) value).doubleValue()));
    } else {
      throw new VbLoraException("cannot write a " + value.getClass().getName() + " as JSON");
    }
  }

  private static String requireKey(Object key) {
    if (!(key instanceof String text)) {
      throw new VbLoraException("JSON object keys must be strings, got " + key);
    }
    return text;
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

  /**
   * Python's ensure_ascii: Jackson's standard escapes (short ones for quote, backslash, \b \f \n \r \t;
   * backslash-u for other control characters and, with ESCAPE_NON_ASCII, for every char above 0x7f, each
   * UTF-16 unit on its own as Python does) plus DEL (0x7f), which Python escapes and Jackson does not.
   */
  private static final class PythonAsciiEscapes extends CharacterEscapes {
    private static final long serialVersionUID = 1L;
    static final PythonAsciiEscapes INSTANCE = new PythonAsciiEscapes();
    private final int[] escapes = standardAsciiEscapesForJSON();

    private PythonAsciiEscapes() {
      escapes[0x7f] = ESCAPE_STANDARD;
    }

    @Override
    public int[] getEscapeCodesForAscii() {
      return escapes;
    }

    @Override
    public com.fasterxml.jackson.core.SerializableString getEscapeSequence(int ch) {
      return null; // no custom sequences: only standard ones
    }
  }

  // ---- reader

  /** The value at the parser's current token; containers are read to their end. */
  private static Object value(JsonParser parser, int depth) throws IOException {
    JsonToken token = parser.currentToken();
    if ((token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY) && depth >= MAX_DEPTH) {
      throw syntaxError("nesting deeper than " + MAX_DEPTH + " levels", parser.currentTokenLocation());
    }
    return switch (token) {
      case START_OBJECT -> object(parser, depth);
      case START_ARRAY -> array(parser, depth);
      case VALUE_STRING -> parser.getText();
      case VALUE_TRUE -> Boolean.TRUE;
      case VALUE_FALSE -> Boolean.FALSE;
      case VALUE_NULL -> null;
      case VALUE_NUMBER_INT -> integer(parser);
      case VALUE_NUMBER_FLOAT -> floatingPoint(parser);
      default -> throw syntaxError("unexpected " + token + ", expected a value", parser.currentTokenLocation());
    };
  }

  private static Map<String, Object> object(JsonParser parser, int depth) throws IOException {
    Map<String, Object> map = new LinkedHashMap<>();
    while (parser.nextToken() == JsonToken.FIELD_NAME) {
      String key = parser.currentName();
      parser.nextToken();
      map.put(key, value(parser, depth + 1)); // Jackson refuses duplicate keys (STRICT_DUPLICATE_DETECTION)
    }
    return Collections.unmodifiableMap(map);
  }

  private static List<Object> array(JsonParser parser, int depth) throws IOException {
    List<Object> list = new ArrayList<>();
    while (parser.nextToken() != JsonToken.END_ARRAY) {
      list.add(value(parser, depth + 1));
    }
    return Collections.unmodifiableList(list);
  }

  private static Long integer(JsonParser parser) throws IOException {
    JsonParser.NumberType type = parser.getNumberType();
    if (type == JsonParser.NumberType.INT || type == JsonParser.NumberType.LONG) {
      return parser.getLongValue();
    }
    throw syntaxError("integer " + parser.getText() + " is out of the 64-bit range", parser.currentTokenLocation());
  }

  private static Double floatingPoint(JsonParser parser) throws IOException {
    double value = parser.getDoubleValue();
    if (Double.isInfinite(value)) {
      throw syntaxError("number " + parser.getText() + " is out of the double range",
          parser.currentTokenLocation());
    }
    return value;
  }

  private static JsonSyntaxException syntaxError(String problem, JsonLocation where) {
    return new JsonSyntaxException(problem, where == null ? -1 : (int) where.getCharOffset(),
        where == null ? -1 : where.getLineNr(), where == null ? -1 : where.getColumnNr());
  }
}
