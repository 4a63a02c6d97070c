package dev.finetune.vblora.training.checkpoint;

import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.data.json.JsonException;
import dev.finetune.vblora.model.ElementType;
import dev.finetune.vblora.training.variables.HostTensor;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * A set of named tensors as two files: {@value #DATA_FILE}, the tensors' little-endian row-major bytes one
 * after another in name order, and {@value #INDEX_FILE}, a JSON index:
 *
 * <pre>{
 *   "format": "vblora-tensors", "version": 1, "byte_order": "little", "data_file": "tensors.bin",
 *   "data_bytes": 1234,
 *   "tensors": [{"name": "head/bias", "dtype": "F32", "shape": [2], "offset": 0, "length": 8,
 *                "crc32c": 1234567}, ...]
 * }</pre>
 *
 * dtype is F32, F64, I32 or I64; offset and length are in bytes; crc32c is the CRC-32C of the tensor's
 * bytes, checked on load so a truncated or damaged checkpoint fails loudly instead of resuming from garbage.
 * Readable without this code, e.g. {@code numpy.frombuffer(data[offset:offset+length], "<f4").reshape(shape)}.
 */
public final class TensorFile {
  public static final String DATA_FILE = "tensors.bin";
  public static final String INDEX_FILE = "tensors.json";
  static final String FORMAT = "vblora-tensors";
  static final int VERSION = 1;

  private TensorFile() {}

  /** Writes both files into {@code dir} (which must exist), forcing them to disk. */
  public static void write(Path dir, Map<String, HostTensor> tensors) throws IOException {
    Map<String, Object> index = new LinkedHashMap<>();
    index.put("format", FORMAT);
    index.put("version", VERSION);
    index.put("byte_order", "little");
    index.put("data_file", DATA_FILE);
    List<Object> entries = new ArrayList<>();
    long offset = 0;
    try (OutputStream out = Files.newOutputStream(dir.resolve(DATA_FILE))) {
      for (Map.Entry<String, HostTensor> e : new TreeMap<>(tensors).entrySet()) {
        byte[] bytes = e.getValue().bytes();
        out.write(bytes);
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("name", e.getKey());
        entry.put("dtype", e.getValue().type().name());
        entry.put("shape", Arrays.stream(e.getValue().shape()).boxed().toList());
        entry.put("offset", offset);
        entry.put("length", bytes.length);
        entry.put("crc32c", crc32c(bytes));
        entries.add(entry);
        offset += bytes.length;
      }
    }
    index.put("data_bytes", offset);
    index.put("tensors", entries);
    Files.writeString(dir.resolve(INDEX_FILE), Json.toIndentedJson(index) + "\n", StandardCharsets.UTF_8);
  }

  /** Reads the tensors written by {@link #write}, verifying sizes and checksums. */
  public static Map<String, HostTensor> read(Path dir) throws IOException {
    Path indexFile = dir.resolve(INDEX_FILE);
    try {
      return read(dir, indexFile, Json.parseObject(Files.readString(indexFile, StandardCharsets.UTF_8)));
    } catch (JsonException e) {
      throw new IOException(indexFile + " is not a readable " + FORMAT + " index (" + e.getMessage()
          + "); the checkpoint is damaged, resume from another one", e);
    }
  }

  private static Map<String, HostTensor> read(Path dir, Path indexFile, Map<String, Object> index)
      throws IOException {
    if (!FORMAT.equals(index.get("format")) || !Long.valueOf(VERSION).equals(index.get("version"))) {
      throw new IOException(indexFile + " is not a " + FORMAT + " version " + VERSION + " index");
    }
    byte[] data = Files.readAllBytes(dir.resolve(DATA_FILE));
    long dataBytes = Json.getLong(index, "data_bytes");
    if (data.length != dataBytes) {
      throw new IOException(dir.resolve(DATA_FILE) + " has " + data.length + " bytes but its index expects "
          + dataBytes + "; the checkpoint is incomplete or damaged");
    }
    Map<String, HostTensor> tensors = new LinkedHashMap<>();
    List<Object> entries = Json.getArray(index, "tensors");
    for (int i = 0; i < entries.size(); i++) {
      Map<String, Object> entry = Json.asObject(entries.get(i), "entry " + i + " of \"tensors\"");
      String name = Json.getString(entry, "name");
      long offset = Json.getLong(entry, "offset");
      long length = Json.getLong(entry, "length");
      if (offset < 0 || length < 0 || offset + length > data.length) {
        throw new IOException("tensor " + name + " in " + indexFile + " points outside the data file");
      }
      byte[] bytes = Arrays.copyOfRange(data, (int) offset, (int) (offset + length));
      if (crc32c(bytes) != Json.getLong(entry, "crc32c")) {
        throw new IOException("tensor " + name + " in " + dir + " fails its checksum; the checkpoint is damaged,"
            + " resume from another one");
      }
      long[] shape = Json.getLongArray(entry, "shape");
      HostTensor tensor = new HostTensor(ElementType.named(Json.getString(entry, "dtype")), shape, bytes);
      if (tensors.put(name, tensor) != null) {
        throw new IOException("tensor " + name + " appears twice in " + indexFile);
      }
    }
    return tensors;
  }

  static long crc32c(byte[] bytes) {
    CRC32C crc = new CRC32C();
    crc.update(bytes);
    return crc.getValue();
  }
}
