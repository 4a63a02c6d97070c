package dev.finetune.vblora.training.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.training.variables.HostTensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TensorFileTest {

  static Map<String, HostTensor> sampleTensors() {
    Random random = new Random(5);
    float[] bank = new float[6 * 4];
    for (int i = 0; i < bank.length; i++) {
      bank[i] = (float) random.nextGaussian();
    }
    bank[3] = Float.NaN; // unusual values must survive bit for bit
    bank[4] = -0.0f;
    bank[5] = Float.MIN_VALUE;
    Map<String, HostTensor> tensors = new LinkedHashMap<>();
    tensors.put("vblora/bank", HostTensor.ofFloats(new long[] {6, 4}, bank));
    tensors.put("head/bias", HostTensor.ofFloats(new long[] {2}, 0.25f, -1.5f));
    tensors.put("toy/f64", HostTensor.ofDoubles(new long[] {3}, Math.PI, -1e-300, 1e300));
    tensors.put("optimizer/step", HostTensor.ofLongs(new long[] {}, 12345678901L));
    tensors.put("ids", HostTensor.ofInts(new long[] {2, 2}, 1, -2, 3, Integer.MAX_VALUE));
    tensors.put("empty", HostTensor.ofFloats(new long[] {0, 3}));
    return tensors;
  }

  @Test
  void roundTripKeepsEveryByte(@TempDir Path dir) throws IOException {
    Map<String, HostTensor> tensors = sampleTensors();
    TensorFile.write(dir, tensors);
    Map<String, HostTensor> loaded = TensorFile.read(dir);
    assertEquals(tensors.keySet(), loaded.keySet());
    for (String name : tensors.keySet()) {
      assertEquals(tensors.get(name).type(), loaded.get(name).type(), name);
      assertArrayEquals(tensors.get(name).shape(), loaded.get(name).shape(), name);
      assertArrayEquals(tensors.get(name).bytes(), loaded.get(name).bytes(), name);
    }
  }

  @Test
  void filesFollowTheDocumentedLayout(@TempDir Path dir) throws IOException {
    TensorFile.write(dir, Map.of("b", HostTensor.ofFloats(new long[] {2}, 1.5f, -2f),
        "a", HostTensor.ofLongs(new long[] {1}, 7L)));
    Map<String, Object> index = Json.parseObject(Files.readString(dir.resolve("tensors.json"),
        StandardCharsets.UTF_8));
    assertEquals("vblora-tensors", Json.getString(index, "format"));
    assertEquals(1, Json.getInt(index, "version"));
    assertEquals("little", Json.getString(index, "byte_order"));
    assertEquals("tensors.bin", Json.getString(index, "data_file"));
    assertEquals(16, Json.getLong(index, "data_bytes"));
    List<Object> entries = Json.getArray(index, "tensors");
    Map<String, Object> a = Json.asObject(entries.get(0), "first entry");
    Map<String, Object> b = Json.asObject(entries.get(1), "second entry");
    assertEquals("a", Json.getString(a, "name"), "tensors in name order");
    assertEquals("I64", Json.getString(a, "dtype"));
    assertEquals(0, Json.getLong(a, "offset"));
    assertEquals("F32", Json.getString(b, "dtype"));
    assertEquals(List.of(2L), Json.getArray(b, "shape"));
    assertEquals(8, Json.getLong(b, "offset"));
    assertEquals(8, Json.getLong(b, "length"));
    // decode the data file with plain NIO, as a Python reader would with numpy
    ByteBuffer data = ByteBuffer.wrap(Files.readAllBytes(dir.resolve("tensors.bin"))).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(7L, data.getLong(0));
    assertEquals(1.5f, data.getFloat(8));
    assertEquals(-2f, data.getFloat(12));
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(Arrays.copyOfRange(data.array(), 8, 16));
    assertEquals(crc.getValue(), Json.getLong(b, "crc32c"));
  }

  @Test
  void aDamagedDataFileIsRefusedNamingTheTensor(@TempDir Path dir) throws IOException {
    TensorFile.write(dir, sampleTensors());
    byte[] data = Files.readAllBytes(dir.resolve("tensors.bin"));
    data[data.length - 1] ^= 0x10;
    Files.write(dir.resolve("tensors.bin"), data);
    IOException e = assertThrows(IOException.class, () -> TensorFile.read(dir));
    assertTrue(e.getMessage().contains("fails its checksum"), e.getMessage());
  }

  @Test
  void aDamagedIndexIsRefusedNamingTheFileAndTheKey(@TempDir Path dir) throws IOException {
    TensorFile.write(dir, sampleTensors());
    Path index = dir.resolve("tensors.json");
    Files.writeString(index, Files.readString(index).replaceFirst("\"offset\"", "\"offs\""));
    IOException e = assertThrows(IOException.class, () -> TensorFile.read(dir));
    assertTrue(e.getMessage().contains(index.toString()) && e.getMessage().contains("\"offset\" is missing"),
        e.getMessage());
    Files.writeString(index, "{\"format\": ");
    e = assertThrows(IOException.class, () -> TensorFile.read(dir));
    assertTrue(e.getMessage().contains("not a readable vblora-tensors index"), e.getMessage());
  }

  @Test
  void aTruncatedDataFileIsRefused(@TempDir Path dir) throws IOException {
    TensorFile.write(dir, sampleTensors());
    byte[] data = Files.readAllBytes(dir.resolve("tensors.bin"));
    Files.write(dir.resolve("tensors.bin"), Arrays.copyOf(data, data.length - 4));
    IOException e = assertThrows(IOException.class, () -> TensorFile.read(dir));
    assertTrue(e.getMessage().contains("incomplete or damaged"), e.getMessage());
  }
}
