package dev.finetune.vblora.training.listen;

import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * TFRecord framing, the container of TensorBoard event files: per record a little-endian uint64 length,
 * the masked CRC-32C of those 8 bytes, the data, and the masked CRC-32C of the data.
 */
public final class TfRecordWriter implements Closeable {
  private static final int MASK_DELTA = 0xa282ead8;

  private final OutputStream out;

  public TfRecordWriter(OutputStream out) {
    this.out = out;
  }

  public void write(byte[] data) throws IOException {
    byte[] length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(data.length).array();
    out.write(length);
    out.write(uint32(maskedCrc32c(length)));
    out.write(data);
    out.write(uint32(maskedCrc32c(data)));
  }

  public void flush() throws IOException {
    out.flush();
  }

  @Override
  public void close() throws IOException {
    out.close();
  }

  /** TensorFlow's crc32c::Mask: rotate right by 15 bits, then add a constant (mod 2^32). */
  public static int maskedCrc32c(byte[] data) {
    CRC32C crc = new CRC32C();
    crc.update(data);
    int value = (int) crc.getValue();
    return ((value >>> 15) | (value << 17)) + MASK_DELTA;
  }

  private static byte[] uint32(int value) {
    return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value).array();
  }
}
