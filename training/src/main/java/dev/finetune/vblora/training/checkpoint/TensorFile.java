package dev.finetune.vblora.training.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune.vblora.training.variables.ElementType;
import dev.finetune.vblora.training.variables.HostTensor;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
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
 * Readable without this code, e.g. numpy.frombuffer(data[offset:offset+length], "<f4").reshape(shape).
 */
public final class TensorFile {
  public static final String DATA_FILE = "tensors.bin";
  public static final String INDEX_FILE = "tensors.json";
  static final String FORMAT = "vblora-tensors";
  static final int VERSION = 1;
  private static final ObjectMapper JSON = new ObjectMapper();

  private TensorFile() {}

  /** Writes both files into {@code dir} (which must exist), forcing them to disk. */
  public static void write(Path dir, Map<String, HostTensor> tensors) throws IOException {
    ObjectNode index = JSON.createObjectNode();
    index.put("format", FORMAT);
    index.put("version", VERSION);
    index.put("byte_order", "little");
    index.put("data_file", DATA_FILE);
    ArrayNode entries = JSON.createArrayNode();
    long offset = 0;
    try (OutputStream out = Files.newOutputStream(dir.resolve(DATA_FILE))) {
      for (Map.Entry<String, HostTensor> e : new TreeMap<>(tensors).entrySet()) {
        byte[] bytes = e.getValue().bytes();
        out.write(bytes);
        ObjectNode entry = entries.addObject();
        entry.put("name", e.getKey());
        entry.put("dtype", e.getValue().type().name());
        ArrayNode shape = entry.putArray("shape");
        Arrays.stream(e.getValue().shape()).forEach(shape::add);
        entry.put("offset", offset);
        entry.put("length", bytes.length);
        entry.put("crc32c", crc32c(bytes));
        offset += bytes.length;
      }
    }
    index.put("data_bytes", offset);
    index.set("tensors", entries);
    Files.write(dir.resolve(INDEX_FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(index));
    Durable.force(dir.resolve(DATA_FILE));
    Durable.force(dir.resolve(INDEX_FILE));
  }

  /** Reads the tensors written by {@link #write}, verifying sizes and checksums. */
  public static Map<String, HostTensor> read(Path dir) throws IOException {
    Path indexFile = dir.resolve(INDEX_FILE);
    JsonNode index = JSON.readTree(indexFile.toFile());
    if (!FORMAT.equals(index.path("format").asText()) || index.path("version").asInt() != VERSION) {
      throw new IOException(indexFile + " is not a " + FORMAT + " version " + VERSION + " index");
    }
    byte[] data = Files.readAllBytes(dir.resolve(DATA_FILE));
    if (data.length != index.path("data_bytes").asLong(-1)) {
      throw new IOException(dir.resolve(DATA_FILE) + " has " + data.length + " bytes but its index expects "
          + index.path("data_bytes").asLong(-1) + "; the checkpoint is incomplete or damaged");
    }
    Map<String, HostTensor> tensors = new LinkedHashMap<>();
    for (JsonNode entry : index.path("tensors")) {
      String name = entry.path("name").asText();
      long offset = entry.path("offset").asLong(-1);
      long length = entry.path("length").asLong(-1);
      if (offset < 0 || length < 0 || offset + length > data.length) {
        throw new IOException("tensor " + name + " in " + indexFile + " points outside the data file");
      }
      byte[] bytes = Arrays.copyOfRange(data, (int) offset, (int) (offset + length));
      if (crc32c(bytes) != entry.path("crc32c").asLong(-1)) {
        throw new IOException("tensor " + name + " in " + dir + " fails its checksum; the checkpoint is damaged,"
            + " resume from another one");
      }
      long[] shape = new long[entry.path("shape").size()];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = entry.path("shape").get(i).asLong();
      }
      HostTensor tensor = new HostTensor(ElementType.named(entry.path("dtype").asText()), shape, bytes);
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
