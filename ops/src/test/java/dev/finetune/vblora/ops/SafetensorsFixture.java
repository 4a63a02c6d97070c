package dev.finetune.vblora.ops;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Just enough of a safetensors reader to check the ops against PEFT's fixture files: every tensor as doubles.
 * The product's reader lives in the savedmodel module; this one only has to understand the fixtures.
 */
final class SafetensorsFixture {
  private SafetensorsFixture() {}

  record Entry(String dtype, long[] shape, double[] values) {
    int size() {
      return values.length;
    }
  }

  private static final Pattern ENTRY = Pattern.compile("\"([^\"]+)\"\\s*:\\s*\\{([^{}]*)}");
  private static final Pattern DTYPE = Pattern.compile("\"dtype\"\\s*:\\s*\"(\\w+)\"");
  private static final Pattern SHAPE = Pattern.compile("\"shape\"\\s*:\\s*\\[([^]]*)]");
  private static final Pattern OFFSETS = Pattern.compile("\"data_offsets\"\\s*:\\s*\\[\\s*(\\d+)\\s*,\\s*(\\d+)\\s*]");

  static Map<String, Entry> read(Path file) throws IOException {
    ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    int headerLength = Math.toIntExact(bytes.getLong(0));
    String header = new String(bytes.array(), 8, headerLength, StandardCharsets.UTF_8);
    int dataStart = 8 + headerLength;
    Map<String, Entry> entries = new TreeMap<>();
    Matcher m = ENTRY.matcher(header);
    while (m.find()) {
      String body = m.group(2);
      Matcher dtype = DTYPE.matcher(body);
      if (!dtype.find()) {
        continue;  // __metadata__
      }
      Matcher shape = SHAPE.matcher(body);
      Matcher offsets = OFFSETS.matcher(body);
      if (!shape.find() || !offsets.find()) {
        throw new IOException(file + ": cannot parse the header entry of " + m.group(1));
      }
      long[] dims = shape.group(1).isBlank() ? new long[0]
          : Arrays.stream(shape.group(1).split(",")).map(String::trim).mapToLong(Long::parseLong).toArray();
      int begin = dataStart + Integer.parseInt(offsets.group(1));
      int n = Math.toIntExact(Arrays.stream(dims).reduce(1, (a, b) -> a * b));
      entries.put(m.group(1), new Entry(dtype.group(1), dims, decode(bytes, dtype.group(1), begin, n)));
    }
    return entries;
  }

  private static double[] decode(ByteBuffer bytes, String dtype, int begin, int n) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = switch (dtype) {
        case "F32" -> bytes.getFloat(begin + 4 * i);
        case "F64" -> bytes.getDouble(begin + 8 * i);
        case "U8" -> Byte.toUnsignedInt(bytes.get(begin + i));
        case "I16" -> bytes.getShort(begin + 2 * i);
        case "I32" -> bytes.getInt(begin + 4 * i);
        case "I64" -> bytes.getLong(begin + 8 * i);
        default -> throw new IllegalArgumentException("dtype " + dtype + " is not used by the fixtures");
      };
    }
    return v;
  }

  /** An integer field of a flat JSON object such as adapter_config.json. */
  static int intField(String json, String name) {
    Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*(\\d+)").matcher(json);
    if (!m.find()) {
      throw new IllegalArgumentException("no integer field " + name);
    }
    return Integer.parseInt(m.group(1));
  }
}
