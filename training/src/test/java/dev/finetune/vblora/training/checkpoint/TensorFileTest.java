package dev.finetune.vblora.training.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.finetune.vblora.training.variables.HostTensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
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
    JsonNode index = new ObjectMapper().readTree(dir.resolve("tensors.json").toFile());
    assertEquals("vblora-tensors", index.get("format").asText());
    assertEquals("little", index.get("byte_order").asText());
    assertEquals(16, index.get("data_bytes").asLong());
    JsonNode a = index.get("tensors").get(0);
    JsonNode b = index.get("tensors").get(1);
    assertEquals("a", a.get("name").asText(), "tensors in name order");
    assertEquals("I64", a.get("dtype").asText());
    assertEquals(0, a.get("offset").asLong());
    assertEquals("F32", b.get("dtype").asText());
    assertEquals("[2]", b.get("shape").toString());
    assertEquals(8, b.get("offset").asLong());
    assertEquals(8, b.get("length").asLong());

    // decode the data file with plain NIO, as a Python reader would with numpy
    ByteBuffer data = ByteBuffer.wrap(Files.readAllBytes(dir.resolve("tensors.bin"))).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(7L, data.getLong(0));
    assertEquals(1.5f, data.getFloat(8));
    assertEquals(-2f, data.getFloat(12));
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(Arrays.copyOfRange(data.array(), 8, 16));
    assertEquals(crc.getValue(), b.get("crc32c").asLong());
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
  void aTruncatedDataFileIsRefused(@TempDir Path dir) throws IOException {
    TensorFile.write(dir, sampleTensors());
    byte[] data = Files.readAllBytes(dir.resolve("tensors.bin"));
    Files.write(dir.resolve("tensors.bin"), Arrays.copyOf(data, data.length - 4));
    IOException e = assertThrows(IOException.class, () -> TensorFile.read(dir));
    assertTrue(e.getMessage().contains("incomplete or damaged"), e.getMessage());
  }
}
