package dev.finetune.vblora.training.listen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.Event;
import org.tensorflow.proto.Summary;

class TensorBoardLogTest {

  /** CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) bit by bit: independent of java.util.zip. */
  private static int crc32c(byte[] data, int offset, int length) {
    int crc = 0xFFFFFFFF;
    for (int i = offset; i < offset + length; i++) {
      crc ^= data[i] & 0xFF;
      for (int bit = 0; bit < 8; bit++) {
        crc = (crc & 1) != 0 ? (crc >>> 1) ^ 0x82F63B78 : crc >>> 1;
      }
    }
    return ~crc;
  }

  /** tensorflow/core/lib/hash/crc32c.h: Mask(crc) = ((crc >> 15) | (crc << 17)) + 0xa282ead8. */
  private static int mask(int crc) {
    return Integer.rotateRight(crc, 15) + 0xa282ead8;
  }

  /** Reads TFRecords, failing on any length or data checksum mismatch. */
  private static List<byte[]> readRecords(byte[] file) {
    List<byte[]> records = new ArrayList<>();
    ByteBuffer in = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
    while (in.hasRemaining()) {
      int start = in.position();
      long length = in.getLong();
      assertEquals(mask(crc32c(file, start, 8)), in.getInt(), "length checksum of record " + records.size());
      byte[] data = new byte[Math.toIntExact(length)];
      int dataStart = in.position();
      in.get(data);
      assertEquals(mask(crc32c(file, dataStart, data.length)), in.getInt(), "data checksum");
      records.add(data);
    }
    return records;
  }

  @Test
  void checksumIsCrc32cWithTensorFlowsMask() {
    byte[] check = "123456789".getBytes(StandardCharsets.US_ASCII);
    assertEquals(0xE3069283, crc32c(check, 0, check.length), "the standard CRC-32C check value");
    assertEquals(mask(0xE3069283), TfRecordWriter.maskedCrc32c(check));
  }

  @Test
  void writesAnEventFileTensorBoardCanRead(@TempDir Path dir) throws IOException {
    double[] clock = {1_700_000_000.25};
    Path file;
    try (TensorBoardLog log = TensorBoardLog.create(dir.resolve("tb"), () -> clock[0], "box")) {
      file = log.file();
      clock[0] += 1;
      log.onStep(new StepReport(1, 0, 0.6931, 1e-4, 42, 3.5));
      clock[0] += 1;
      log.onStep(new StepReport(2, 0, 0.5, 2e-4, 40, Double.NaN));
      log.onEvaluation(new EvaluationReport(2, 10, Map.of("accuracy", 0.8), false));
    }
    assertEquals("events.out.tfevents.1700000000.box", file.getFileName().toString());

    List<byte[]> records = readRecords(Files.readAllBytes(file));
    assertEquals(4, records.size());
    Event header = Event.parseFrom(records.get(0));
    assertEquals("brain.Event:2", header.getFileVersion());
    assertEquals(1_700_000_000.25, header.getWallTime());

    Event first = Event.parseFrom(records.get(1));
    assertEquals(1, first.getStep());
    assertEquals(1_700_000_001.25, first.getWallTime());
    assertEquals(List.of("train/loss", "train/learning_rate", "train/examples_per_s", "train/grad_norm"),
        first.getSummary().getValueList().stream().map(Summary.Value::getTag).toList());
    assertEquals(0.6931f, first.getSummary().getValue(0).getSimpleValue());
    assertEquals(3.5f, first.getSummary().getValue(3).getSimpleValue());

    Event second = Event.parseFrom(records.get(2));
    assertEquals(2, second.getStep());
    assertTrue(second.getSummary().getValueList().stream().noneMatch(v -> v.getTag().equals("train/grad_norm")),
        "an unmeasured gradient norm is left out");

    Event eval = Event.parseFrom(records.get(3));
    assertEquals("eval/accuracy", eval.getSummary().getValue(0).getTag());
    assertEquals(0.8f, eval.getSummary().getValue(0).getSimpleValue());
  }

  @Test
  void aCorruptedByteIsCaughtByTheChecksum(@TempDir Path dir) throws IOException {
    Path file;
    try (TensorBoardLog log = TensorBoardLog.create(dir, () -> 1.0, "h")) {
      file = log.file();
    }
    byte[] bytes = Files.readAllBytes(file);
    bytes[14] ^= 1; // inside the header event's data
    byte[] corrupted = Arrays.copyOf(bytes, bytes.length);
    org.junit.jupiter.api.Assertions.assertThrows(org.opentest4j.AssertionFailedError.class,
        () -> readRecords(corrupted));
  }
}
