package dev.finetune.vblora.savedmodel.adapter;

import dev.finetune.vblora.data.json.Json;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes safetensors files byte for byte as the safetensors library does: tensors laid out by descending
 * {@link Dtype} (the library's alignment order) then by name (UTF-8 byte order), the compact JSON header in
 * that order with {@code __metadata__} first, padded with spaces to a multiple of 8 bytes. (Metadata keys are
 * sorted; the library's own order for more than one key is a hash order.)
 */
public final class SafetensorsWriter {
  private static final Comparator<String> UTF8_ORDER =
      (a, b) -> Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));

  private SafetensorsWriter() {}

  /** Writes {@code file} to {@code path}, replacing it (for all-or-nothing folders see AtomicDirectoryWriter). */
  public static void write(SafetensorsFile file, Path path) throws IOException {
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(path), 1 << 16)) {
      write(file, out);
    }
  }

  public static void write(SafetensorsFile file, OutputStream out) throws IOException {
    List<String> order = layoutOrder(file.tensors());
    out.write(header(file, order));
    for (String name : order) {
      out.write(file.tensors().get(name).rawBytes());
    }
  }

  /** The bytes of a whole file, for small files and tests. */
  public static byte[] toBytes(SafetensorsFile file) {
    try (ByteArrayOutputStream out = new ByteArrayOutputStream()) {
      write(file, out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new AssertionError("in-memory write failed", e);
    }
  }

  /** Tensor names in the order the safetensors library lays them out. */
  static List<String> layoutOrder(Map<String, StoredTensor> tensors) {
    List<String> names = new ArrayList<>(tensors.keySet());
    names.sort(Comparator.<String, Dtype>comparing(name -> tensors.get(name).dtype()).reversed()
        .thenComparing(UTF8_ORDER));
    return names;
  }

  /** The 8-byte length followed by the padded JSON header. */
  private static byte[] header(SafetensorsFile file, List<String> order) {
    Map<String, Object> header = new LinkedHashMap<>();
    if (file.metadata() != null) {
      header.put(SafetensorsHeader.METADATA_KEY, new TreeMap<>(file.metadata()));
    }
    long offset = 0;
    for (String name : order) {
      StoredTensor tensor = file.tensors().get(name);
      Map<String, Object> info = new LinkedHashMap<>();
      info.put("dtype", tensor.dtype().name());
      info.put("shape", Arrays.stream(tensor.shape()).boxed().toList());
      info.put("data_offsets", List.of(offset, offset + tensor.byteSize()));
      header.put(name, info);
      offset += tensor.byteSize();
    }
    byte[] json = Json.toCompactJson(header).getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) / 8 * 8;
    ByteBuffer bytes = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
    bytes.putLong(padded).put(json);
    while (bytes.hasRemaining()) {
      bytes.put((byte) ' ');
    }
    return bytes.array();
  }
}
