package dev.finetune.vblora.savedmodel.adapter;

import dev.finetune.vblora.data.json.Json;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Typed access to the keys of one adapter_config.json object, with errors that name the file, the key, what
 * was expected and what was found. Remembers which keys were read so that the rest can be kept verbatim.
 * Missing keys take PEFT's defaults, as PEFT itself does.
 */
final class ConfigFields {
  private final Map<String, Object> json;
  private final String source;
  private final Set<String> used = new HashSet<>();

  ConfigFields(Map<String, Object> json, String source) {
    this.json = json;
    this.source = source;
  }

  int integer(String key, int defaultValue) throws AdapterFormatException {
    if (!present(key)) {
      return defaultValue;
    }
    Object value = json.get(key);
    if (value instanceof Long n && n >= Integer.MIN_VALUE && n <= Integer.MAX_VALUE) {
      return n.intValue();
    }
    throw error(key, "an integer", value);
  }

  double number(String key, double defaultValue) throws AdapterFormatException {
    if (!present(key)) {
      return defaultValue;
    }
    Object value = json.get(key);
    if (value instanceof Long || value instanceof Double) {
      return ((Number) value).doubleValue();
    }
    throw error(key, "a number", value);
  }

  boolean bool(String key, boolean defaultValue) throws AdapterFormatException {
    if (!present(key)) {
      return defaultValue;
    }
    Object value = json.get(key);
    if (value instanceof Boolean b) {
      return b;
    }
    throw error(key, "true or false", value);
  }

  /** A string, or {@code null} for JSON null or a missing key when {@code defaultValue} is null. */
  String string(String key, String defaultValue) throws AdapterFormatException {
    if (!present(key)) {
      return defaultValue;
    }
    Object value = json.get(key);
    if (value == null || value instanceof String) {
      return (String) value;
    }
    throw error(key, "a string or null", value);
  }

  /** A string that must not be null. */
  String requiredString(String key, String defaultValue) throws AdapterFormatException {
    String value = string(key, defaultValue);
    if (value == null) {
      throw error(key, "a string", null);
    }
    return value;
  }

  /** A list of strings, a single string (as a one-element list), or null. */
  List<String> strings(String key) throws AdapterFormatException {
    if (!present(key) || json.get(key) == null) {
      return null;
    }
    Object value = json.get(key);
    if (value instanceof String text) {
      return List.of(text);
    }
    List<String> result = new ArrayList<>();
    if (value instanceof List<?> list) {
      for (Object item : list) {
        if (!(item instanceof String text)) {
          throw error(key, "a list of strings", value);
        }
        result.add(text);
      }
      return result;
    }
    throw error(key, "a list of strings, a string or null", value);
  }

  /** A list of integers, a single integer (as a one-element list), or null. */
  List<Integer> integers(String key) throws AdapterFormatException {
    if (!present(key) || json.get(key) == null) {
      return null;
    }
    Object value = json.get(key);
    if (value instanceof Long n) {
      return List.of(Math.toIntExact(n));
    }
    List<Integer> result = new ArrayList<>();
    if (value instanceof List<?> list) {
      for (Object item : list) {
        if (!(item instanceof Long n) || n < Integer.MIN_VALUE || n > Integer.MAX_VALUE) {
          throw error(key, "a list of integers", value);
        }
        result.add(n.intValue());
      }
      return result;
    }
    throw error(key, "a list of integers, an integer or null", value);
  }

  /** PEFT's target_modules: a list of module names, a regular expression, or null (PEFT's defaults). */
  TargetModules targetModules(String key) throws AdapterFormatException {
    if (!present(key) || json.get(key) == null) {
      return null;
    }
    Object value = json.get(key);
    if (value instanceof String regex) {
      return TargetModules.regex(regex);
    }
    return TargetModules.names(strings(key));
  }

  /** An object whose values are all strings; empty for null or a missing key. */
  Map<String, String> stringMap(String key) throws AdapterFormatException {
    Map<String, String> result = new LinkedHashMap<>();
    if (!present(key) || json.get(key) == null) {
      return result;
    }
    Object value = json.get(key);
    if (!(value instanceof Map<?, ?> map)) {
      throw error(key, "an object of strings", value);
    }
    for (Map.Entry<?, ?> entry : map.entrySet()) {
      if (!(entry.getValue() instanceof String text)) {
        throw error(key, "an object of strings", value);
      }
      result.put((String) entry.getKey(), text);
    }
    return result;
  }

  ToolMetadata toolMetadata(String key) throws AdapterFormatException {
    if (!present(key) || json.get(key) == null) {
      return null;
    }
    return ToolMetadata.fromJson(json.get(key), source + " \"" + key + "\"");
  }

  /** The keys not read so far, in document order. */
  Map<String, Object> remaining() {
    Map<String, Object> rest = new LinkedHashMap<>();
    json.forEach((key, value) -> {
      if (!used.contains(key)) {
        rest.put(key, value);
      }
    });
    return rest;
  }

  AdapterFormatException error(String key, String expected, Object value) {
    return new AdapterFormatException(source, "\"" + key + "\" must be " + expected + ", got "
        + Json.toCompactJson(value));
  }

  /** A value the config refused, as an error that names the file. */
  AdapterFormatException invalid(IllegalArgumentException e) {
    return new AdapterFormatException(source, e.getMessage(), e);
  }

  private boolean present(String key) {
    used.add(key);
    return json.containsKey(key);
  }
}
