package dev.finetune.vblora.savedmodel.adapter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The safetensors format as the Rust library defines it, checked against files it wrote. */
class SafetensorsFormatTest {
  @TempDir
  Path temp;

  @ParameterizedTest
  @ValueSource(strings = {
      "qv_full/adapter_model.safetensors", "qv_full/expected_delta_weights.safetensors",
      "qv_topk/adapter_model.safetensors", "qv_topk_nv300/adapter_model.safetensors",
      "all_linear_topk/adapter_model.safetensors", "all_linear_topk/expected_delta_weights.safetensors"})
  void rewritingALibraryWrittenFileReproducesItsBytes(String relative) throws IOException {
    Path original = PeftFixtures.folder(relative.substring(0, relative.indexOf('/')))
        .resolve(relative.substring(relative.indexOf('/') + 1));
    SafetensorsFile file = SafetensorsReader.read(original);
    assertArrayEquals(Files.readAllBytes(original), SafetensorsWriter.toBytes(file));
  }

  /** The byte-exact example of the safetensors crate's own test_serialization. */
  @Test
  void writesTheLibrarysReferenceBytes() {
    float[] values = {0, 1, 2, 3, 4, 5};
    SafetensorsFile file = new SafetensorsFile(null,
        Map.of("attn.0", StoredTensor.ofFloats(new long[] {1, 2, 3}, values)));
    byte[] json = "{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}"
        .getBytes(StandardCharsets.US_ASCII);
    ByteBuffer expected = ByteBuffer.allocate(8 + 64 + 24).order(ByteOrder.LITTLE_ENDIAN);
    expected.putLong(64).put(json);
    for (float v : values) {
      expected.putFloat(v);
    }
    assertArrayEquals(expected.array(), SafetensorsWriter.toBytes(file));
  }

  /** The crate's test_empty with metadata: header padded with spaces to a multiple of 8. */
  @Test
  void padsTheHeaderWithSpaces() {
    byte[] bytes = SafetensorsWriter.toBytes(new SafetensorsFile(Map.of("framework", "pt"), Map.of()));
    String header = "{\"__metadata__\":{\"framework\":\"pt\"}}     ";
    assertEquals(40, ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong());
    assertEquals(header, new String(bytes, 8, bytes.length - 8, StandardCharsets.US_ASCII));
  }

  @Test
  void laysTensorsOutByDescendingDtypeThenName() {
    Map<String, StoredTensor> tensors = new LinkedHashMap<>();
    tensors.put("b", StoredTensor.ofIntegers(Dtype.U8, new long[] {1}, new long[] {1}));
    tensors.put("d", StoredTensor.ofIntegers(Dtype.BOOL, new long[] {1}, new long[] {1}));
    tensors.put("a", StoredTensor.ofIntegers(Dtype.U8, new long[] {1}, new long[] {1}));
    tensors.put("z", StoredTensor.ofFloats(new long[] {1}, new float[] {1}));
    tensors.put("c", StoredTensor.ofIntegers(Dtype.I64, new long[] {1}, new long[] {1}));
    tensors.put("y", StoredTensor.ofFloats(Dtype.BF16, new long[] {1}, new float[] {1}));
    assertEquals(List.of("c", "z", "y", "a", "b", "d"), SafetensorsWriter.layoutOrder(tensors));
  }

  @Test
  void everyDtypeRoundTrips() throws IOException {
    Map<String, StoredTensor> tensors = new LinkedHashMap<>();
    tensors.put("bool", StoredTensor.ofIntegers(Dtype.BOOL, new long[] {2}, new long[] {0, 1}));
    tensors.put("u8", StoredTensor.ofIntegers(Dtype.U8, new long[] {2}, new long[] {0, 255}));
    tensors.put("i8", StoredTensor.ofIntegers(Dtype.I8, new long[] {2}, new long[] {-128, 127}));
    tensors.put("i16", StoredTensor.ofIntegers(Dtype.I16, new long[] {2}, new long[] {-32768, 32767}));
    tensors.put("u16", StoredTensor.ofIntegers(Dtype.U16, new long[] {2}, new long[] {0, 65535}));
    tensors.put("i32", StoredTensor.ofIntegers(Dtype.I32, new long[] {2}, new long[] {Integer.MIN_VALUE, 7}));
    tensors.put("u32", StoredTensor.ofIntegers(Dtype.U32, new long[] {2}, new long[] {0, 0xffffffffL}));
    tensors.put("i64", StoredTensor.ofIntegers(Dtype.I64, new long[] {2, 1}, new long[] {Long.MIN_VALUE, 9}));
    tensors.put("f64", StoredTensor.ofFloats(Dtype.F64, new long[] {2}, new float[] {0.1f, -3}));
    tensors.put("f32", StoredTensor.ofFloats(new long[] {2}, new float[] {0.1f, Float.MIN_VALUE}));
    tensors.put("f16", StoredTensor.ofFloats(Dtype.F16, new long[] {2}, new float[] {0.5f, -65504}));
    tensors.put("bf16", StoredTensor.ofFloats(Dtype.BF16, new long[] {2}, new float[] {1, -0.375f}));
    tensors.put("scalar", StoredTensor.ofFloats(new long[] {}, new float[] {42}));
    tensors.put("empty", StoredTensor.ofFloats(new long[] {0, 3}, new float[] {}));
    Path path = temp.resolve("all.safetensors");
    SafetensorsWriter.write(new SafetensorsFile(null, tensors), path);
    SafetensorsFile read = SafetensorsReader.read(path);
    assertNull(read.metadata());
    assertEquals(tensors, read.tensors()); // map equality ignores the (layout) order
    assertArrayEquals(new long[] {0, 255}, read.tensors().get("u8").toLongs());
    assertArrayEquals(new long[] {0, 0xffffffffL}, read.tensors().get("u32").toLongs());
    assertArrayEquals(new long[] {Long.MIN_VALUE, 9}, read.tensors().get("i64").toLongs());
    assertArrayEquals(new float[] {0.5f, -65504}, read.tensors().get("f16").toFloats());
    assertArrayEquals(new float[] {1, -0.375f}, read.tensors().get("bf16").toFloats());
    assertArrayEquals(new float[] {0.1f, -3}, read.tensors().get("f64").toFloats());
    assertArrayEquals(new long[] {}, read.tensors().get("scalar").shape());
  }

  @Test
  void valuesThatDoNotFitTheirDtypeAreRefused() {
    assertThrows(IllegalArgumentException.class,
        () -> StoredTensor.ofIntegers(Dtype.U8, new long[] {1}, new long[] {256}));
    assertThrows(IllegalArgumentException.class,
        () -> StoredTensor.ofIntegers(Dtype.I16, new long[] {1}, new long[] {-32769}));
    assertThrows(IllegalArgumentException.class,
        () -> StoredTensor.ofFloats(new long[] {2, 2}, new float[] {1, 2, 3}));
  }

  // ---- malformed files: each error names the file and the problem ----

  @Test
  void truncatedFile() throws IOException {
    byte[] bytes = Files.readAllBytes(PeftFixtures.folder("qv_topk").resolve(AdapterFolder.WEIGHTS_FILE));
    Path cut = write("cut.safetensors", Arrays.copyOf(bytes, bytes.length - 10));
    assertFails(cut, "lie outside the file's", "truncated");
  }

  @Test
  void fileShorterThanTheLengthField() throws IOException {
    assertFails(write("tiny.safetensors", new byte[] {1, 2, 3}), "fewer than the 8-byte header length");
  }

  @Test
  void headerLengthLargerThanTheFile() throws IOException {
    assertFails(file(1_000, "{}", 0), "header length 1000 is larger than the file");
  }

  @Test
  void absurdHeaderLength() throws IOException {
    assertFails(file(1L << 40, "{}", 0), "is absurd");
    assertFails(file(-1L, "{}", 0), "18446744073709551615 is absurd");
  }

  @Test
  void headerThatIsNotJson() throws IOException {
    assertFails(file("{\"a\": {\"dtype\": \"F32\",}", 0), "header is not valid JSON");
    assertFails(file("not json at all", 0), "header is not valid JSON");
  }

  @Test
  void headerThatIsNotUtf8() throws IOException {
    ByteBuffer bytes = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    bytes.putLong(8).put(new byte[] {'{', (byte) 0xff, (byte) 0xfe, '}', ' ', ' ', ' ', ' '});
    assertFails(write("latin.safetensors", bytes.array()), "not UTF-8");
  }

  @Test
  void offsetsOutsideTheFile() throws IOException {
    assertFails(file("{" + entry("a", "F32", "[100]", 0, 400) + "}", 16), "lie outside the file's 16 data bytes");
  }

  @Test
  void overlappingTensors() throws IOException {
    assertFails(file("{" + entry("a", "F32", "[4]", 0, 16) + "," + entry("b", "F32", "[4]", 8, 24) + "}", 24),
        "\"a\" and \"b\" overlap");
  }

  @Test
  void gapBetweenTensors() throws IOException {
    assertFails(file("{" + entry("a", "F32", "[4]", 0, 16) + "," + entry("b", "F32", "[4]", 20, 36) + "}", 36),
        "belong to no tensor");
  }

  @Test
  void bytesAfterTheLastTensor() throws IOException {
    assertFails(file("{" + entry("a", "F32", "[4]", 0, 16) + "}", 20), "4 bytes after the last tensor");
  }

  @Test
  void offsetsThatDoNotMatchShapeTimesDtype() throws IOException {
    assertFails(file("{" + entry("a", "F32", "[4]", 0, 12) + "}", 12),
        "hold 12 bytes but shape [4] of F32 needs 16");
  }

  @Test
  void unknownDtype() throws IOException {
    assertFails(file("{" + entry("a", "F7", "[4]", 0, 16) + "}", 16), "unknown dtype \"F7\"");
  }

  @Test
  void validButUnsupportedDtype() throws IOException {
    assertFails(file("{" + entry("a", "F8_E4M3", "[4]", 0, 4) + "}", 4), "F8_E4M3", "not supported here");
  }

  @Test
  void malformedEntries() throws IOException {
    assertFails(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,0]}}", 0),
        "must hold non-negative integers");
    assertFails(file("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "lacks a string \"dtype\"");
    assertFails(file("{\"__metadata__\":{\"format\":1}}", 0), "__metadata__ entry \"format\" must be a string");
    assertFails(file("[1,2]", 0), "not a JSON object");
  }

  @Test
  void missingFile() {
    IOException e = assertThrows(IOException.class, () -> SafetensorsReader.read(temp.resolve("none.safetensors")));
    assertTrue(e.getMessage().contains("none.safetensors"), e.getMessage());
  }

  private static String entry(String name, String dtype, String shape, long start, long end) {
    return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + start + ","
        + end + "]}";
  }

  /** A file with a correct header length, then {@code header}, then {@code dataBytes} zero bytes. */
  private Path file(String header, int dataBytes) throws IOException {
    return file(header.getBytes(StandardCharsets.UTF_8).length, header, dataBytes);
  }

  private Path file(long declaredLength, String header, int dataBytes) throws IOException {
    byte[] json = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer bytes = ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    bytes.putLong(declaredLength).put(json);
    return write("crafted-" + System.nanoTime() + ".safetensors", bytes.array());
  }

  private Path write(String name, byte[] bytes) throws IOException {
    Path path = temp.resolve(name);
    Files.write(path, bytes);
    return path;
  }

  private static void assertFails(Path path, String... fragments) {
    AdapterFormatException e = assertThrows(AdapterFormatException.class, () -> SafetensorsReader.read(path));
    assertTrue(e.getMessage().startsWith(path.toString()), "names the file: " + e.getMessage());
    for (String fragment : fragments) {
      assertTrue(e.getMessage().contains(fragment), "expected \"" + fragment + "\" in: " + e.getMessage());
    }
  }
}
