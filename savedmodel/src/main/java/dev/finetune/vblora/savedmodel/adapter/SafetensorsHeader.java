package dev.finetune.vblora.savedmodel.adapter;

import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.data.json.JsonSyntaxException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The validated JSON header of a safetensors file: which tensors it holds, where their bytes lie, and the
 * optional {@code __metadata__}. Validation is as strict as the safetensors library's, so that a file this
 * class accepts is one Python can load too: the tensors' byte ranges must tile the data section exactly (no
 * overlap, no gap, nothing after the last tensor) and each range must be as long as its shape and dtype need.
 *
 * @param metadata the {@code __metadata__} map, or {@code null} when the header has none
 * @param entries the tensors in data order
 */
public record SafetensorsHeader(Map<String, String> metadata, List<Entry> entries) {
  public static final String METADATA_KEY = "__metadata__";

  /** One tensor's header entry; {@code start}/{@code end} are byte offsets into the data section. */
  public record Entry(String name, Dtype dtype, List<Long> shape, long start, long end) {
    public Entry {
      shape = List.copyOf(shape);
    }

    public long[] shapeArray() {
      return shape.stream().mapToLong(Long::longValue).toArray();
    }
  }

  public SafetensorsHeader {
    metadata = metadata == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    entries = List.copyOf(entries);
  }

  /** Size of the data section the entries describe. */
  public long dataSize() {
    return entries.isEmpty() ? 0 : entries.get(entries.size() - 1).end();
  }

  /**
   * Parses and validates a header.
   *
   * @param json the header text (after the 8-byte length, padding included)
   * @param dataSize bytes that follow the header in the file
   * @param source the file, for error messages
   */
  static SafetensorsHeader parse(String json, long dataSize, String source) throws AdapterFormatException {
    Object root;
    try {
      root = Json.parse(json);
    } catch (JsonSyntaxException e) {
      throw new AdapterFormatException(source, "safetensors header is not valid JSON (" + e.getMessage()
          + "); the file is corrupt or not a safetensors file", e);
    }
    if (!(root instanceof Map<?, ?> map)) {
      throw new AdapterFormatException(source, "safetensors header is not a JSON object");
    }
    Map<String, String> metadata = null;
    List<Entry> entries = new ArrayList<>();
    for (Map.Entry<?, ?> item : map.entrySet()) {
      String name = (String) item.getKey();
      if (name.equals(METADATA_KEY)) {
        metadata = parseMetadata(item.getValue(), source);
      } else {
        entries.add(parseEntry(name, item.getValue(), source));
      }
    }
    entries.sort(Comparator.comparingLong(Entry::start).thenComparingLong(Entry::end));
    checkTiling(entries, dataSize, source);
    return new SafetensorsHeader(metadata, entries);
  }

  private static Map<String, String> parseMetadata(Object value, String source) throws AdapterFormatException {
    if (!(value instanceof Map<?, ?> map)) {
      throw new AdapterFormatException(source, METADATA_KEY + " must be a JSON object of strings");
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    for (Map.Entry<?, ?> item : map.entrySet()) {
      if (!(item.getValue() instanceof String text)) {
        throw new AdapterFormatException(source, METADATA_KEY + " entry \"" + item.getKey()
            + "\" must be a string, got " + Json.toCompactJson(item.getValue()));
      }
      metadata.put((String) item.getKey(), text);
    }
    return metadata;
  }

  private static Entry parseEntry(String name, Object value, String source) throws AdapterFormatException {
    String what = "tensor \"" + name + "\"";
    if (!(value instanceof Map<?, ?> info)) {
      throw new AdapterFormatException(source, what + ": header entry must be a JSON object");
    }
    if (!(info.get("dtype") instanceof String dtypeName)) {
      throw new AdapterFormatException(source, what + ": header entry lacks a string \"dtype\"");
    }
    Dtype dtype = Dtype.parse(dtypeName, name, source);
    List<Long> shape = nonNegativeLongs(info.get("shape"), what + " \"shape\"", source);
    List<Long> offsets = nonNegativeLongs(info.get("data_offsets"), what + " \"data_offsets\"", source);
    if (offsets.size() != 2) {
      throw new AdapterFormatException(source, what + ": \"data_offsets\" must be [begin, end], got " + offsets);
    }
    long start = offsets.get(0);
    long end = offsets.get(1);
    if (end < start) {
      throw new AdapterFormatException(source, what + ": data_offsets " + offsets + " end before they begin");
    }
    long needed;
    try {
      needed = Math.multiplyExact(StoredTensor.elementCount(toArray(shape)), dtype.byteSize());
    } catch (ArithmeticException e) {
      throw new AdapterFormatException(source, what + ": shape " + shape + " overflows a 64-bit size");
    }
    if (end - start != needed) {
      throw new AdapterFormatException(source, what + ": data_offsets " + offsets + " hold " + (end - start)
          + " bytes but shape " + shape + " of " + dtype + " needs " + needed);
    }
    return new Entry(name, dtype, shape, start, end);
  }

  private static void checkTiling(List<Entry> entries, long dataSize, String source)
      throws AdapterFormatException {
    long position = 0;
    Entry previous = null;
    for (Entry entry : entries) {
      if (entry.end() > dataSize) {
        throw new AdapterFormatException(source, "tensor \"" + entry.name() + "\": data_offsets ["
            + entry.start() + ", " + entry.end() + "] lie outside the file's " + dataSize
            + " data bytes; the file is truncated or corrupt");
      }
      if (entry.start() < position) {
        throw new AdapterFormatException(source, "tensors \"" + previous.name() + "\" and \"" + entry.name()
            + "\" overlap (bytes " + entry.start() + " to " + position + ")");
      }
      if (entry.start() > position) {
        throw new AdapterFormatException(source, "data bytes " + position + " to " + entry.start()
            + " belong to no tensor; safetensors requires tensors to follow each other without gaps");
      }
      position = entry.end();
      previous = entry;
    }
    if (position != dataSize) {
      throw new AdapterFormatException(source, "the file has " + (dataSize - position)
          + " bytes after the last tensor; it is corrupt or not a safetensors file");
    }
  }

  private static List<Long> nonNegativeLongs(Object value, String what, String source)
      throws AdapterFormatException {
    if (!(value instanceof List<?> list)) {
      throw new AdapterFormatException(source, what + " must be a JSON array of integers");
    }
    List<Long> result = new ArrayList<>();
    for (Object item : list) {
      if (!(item instanceof Long number) || number < 0) {
        throw new AdapterFormatException(source, what + " must hold non-negative integers, got "
            + Json.toCompactJson(list));
      }
      result.add(number);
    }
    return result;
  }

  private static long[] toArray(List<Long> values) {
    return values.stream().mapToLong(Long::longValue).toArray();
  }
}
