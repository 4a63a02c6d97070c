package dev.finetune.vblora.savedmodel;

import dev.finetune.vblora.data.error.VbLoraException;
import java.io.ByteArrayOutputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Reads every key/value pair of a TensorFlow (LevelDB-format) table file, the container of a checkpoint's
 * {@code .index}.
 *
 * <p>Layout: data blocks, a meta-index block, an index block and a 48-byte footer (two block handles,
 * padding, magic). Every block is a run of prefix-compressed entries followed by a restart array and is
 * followed on disk by a 5-byte trailer (compression type, masked CRC32C). TensorFlow writes bundle indexes
 * uncompressed; a compressed block is reported rather than misread.
 */
final class SortedStringTable {
  private static final long MAGIC = 0xdb4775248b80fb57L;
  private static final int FOOTER_LENGTH = 48;
  private static final int BLOCK_TRAILER_LENGTH = 5;
  private static final int CRC_MASK_DELTA = 0xa282ead8;

  /** One key/value pair, in table (sorted) order. */
  record Entry(byte[] key, byte[] value) {}

  private final byte[] file;
  private final String source;

  private SortedStringTable(byte[] file, String source) {
    this.file = file;
    this.source = source;
  }

  /** All entries of the table held in {@code file}; {@code source} names it in error messages. */
  static List<Entry> read(byte[] file, String source) {
    try {
      return new SortedStringTable(file, source).entries();
    } catch (BufferUnderflowException | IndexOutOfBoundsException e) {
      throw new SavedModelException(source + " is not a readable TensorFlow table: it ends inside an entry", e);
    }
  }

  private List<Entry> entries() {
    if (file.length < FOOTER_LENGTH) {
      throw corrupt("is " + file.length + " bytes, shorter than a table footer");
    }
    ByteBuffer footer = ByteBuffer.wrap(file, file.length - FOOTER_LENGTH, FOOTER_LENGTH)
        .order(ByteOrder.LITTLE_ENDIAN);
    long magic = footer.getLong(file.length - 8);
    if (magic != MAGIC) {
      throw corrupt("has no table magic number at its end");
    }
    readHandle(footer); // meta-index block: TensorFlow leaves it empty, nothing to read from it
    long[] index = readHandle(footer);
    List<Entry> result = new ArrayList<>();
    for (Entry indexEntry : blockEntries(index)) {
      ByteBuffer handle = ByteBuffer.wrap(indexEntry.value());
      result.addAll(blockEntries(readHandle(handle)));
    }
    return result;
  }

  /**
   * A table file holding {@code entries} (sorted by key, unsigned bytewise, as TensorFlow's reader expects):
   * one uncompressed data block of unshared keys with a single restart point, an empty meta-index block, an
   * index block pointing at the data block, and the footer. TensorFlow's table reader accepts any block size
   * and restart spacing; it only scans a longer block linearly.
   */
  static byte[] write(List<Entry> entries) {
    if (entries.isEmpty()) {
      throw new VbLoraException("a table needs at least one entry");
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    long[] data = writeBlock(out, entries);
    long[] meta = writeBlock(out, List.of());
    ByteArrayOutputStream handle = new ByteArrayOutputStream();
    writeVarint(handle, data[0]);
    writeVarint(handle, data[1]);
    long[] index = writeBlock(out, List.of(new Entry(entries.get(entries.size() - 1).key(), handle.toByteArray())));
    ByteBuffer footer = ByteBuffer.allocate(FOOTER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
    ByteArrayOutputStream handles = new ByteArrayOutputStream();
    for (long v : new long[] {meta[0], meta[1], index[0], index[1]}) {
      writeVarint(handles, v);
    }
    footer.put(handles.toByteArray());
    footer.putLong(FOOTER_LENGTH - 8, MAGIC);
    out.writeBytes(footer.array());
    return out.toByteArray();
  }

  /** Appends one block and its trailer; returns its handle {offset, size}. */
  private static long[] writeBlock(ByteArrayOutputStream out, List<Entry> entries) {
    ByteArrayOutputStream block = new ByteArrayOutputStream();
    for (Entry e : entries) {
      writeVarint(block, 0);
      writeVarint(block, e.key().length);
      writeVarint(block, e.value().length);
      block.writeBytes(e.key());
      block.writeBytes(e.value());
    }
    ByteBuffer restarts = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(0).putInt(1);
    block.writeBytes(restarts.array());
    byte[] contents = block.toByteArray();
    long offset = out.size();
    out.writeBytes(contents);
    CRC32C crc = new CRC32C();
    crc.update(contents);
    crc.update(0); // the trailer's compression type: none
    out.write(0);
    out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(mask((int) crc.getValue())).array());
    return new long[] {offset, contents.length};
  }

  /** LevelDB's masked CRC32C, as table trailers and checkpoint entries store checksums. */
  static int mask(int crc) {
    return ((crc >>> 15) | (crc << 17)) + CRC_MASK_DELTA;
  }

  private static void writeVarint(ByteArrayOutputStream out, long value) {
    while ((value & ~0x7fL) != 0) {
      out.write((int) ((value & 0x7f) | 0x80));
      value >>>= 7;
    }
    out.write((int) value);
  }

  private static long[] readHandle(ByteBuffer in) {
    return new long[] {readVarint(in), readVarint(in)};
  }

  private List<Entry> blockEntries(long[] handle) {
    long offset = handle[0];
    long size = handle[1];
    if (offset < 0 || size < 4 || offset + size + BLOCK_TRAILER_LENGTH > file.length) {
      throw corrupt("has a block handle [" + offset + ", " + size + "] outside the file");
    }
    int start = (int) offset;
    int end = (int) (offset + size);
    checkTrailer(start, end);
    ByteBuffer block = ByteBuffer.wrap(file, start, (int) size).order(ByteOrder.LITTLE_ENDIAN);
    int restarts = block.getInt(end - 4);
    int entriesEnd = end - 4 - 4 * restarts;
    if (restarts < 1 || entriesEnd < start) {
      throw corrupt("has a block at " + offset + " with an invalid restart count " + restarts);
    }
    List<Entry> entries = new ArrayList<>();
    byte[] key = new byte[0];
    block.position(start);
    while (block.position() < entriesEnd) {
      int shared = (int) readVarint(block);
      int unshared = (int) readVarint(block);
      int valueLength = (int) readVarint(block);
      if (shared > key.length || block.position() + unshared + valueLength > entriesEnd) {
        throw corrupt("has a malformed entry in the block at " + offset);
      }
      byte[] next = Arrays.copyOf(key, shared + unshared);
      block.get(next, shared, unshared);
      byte[] value = new byte[valueLength];
      block.get(value);
      entries.add(new Entry(next, value));
      key = next;
    }
    return entries;
  }

  private void checkTrailer(int start, int end) {
    int type = file[end] & 0xff;
    if (type != 0) {
      throw corrupt("has a compressed block (type " + type + "); only uncompressed tables are supported");
    }
    CRC32C crc = new CRC32C();
    crc.update(file, start, end - start + 1); // block contents and the type byte
    int masked = mask((int) crc.getValue());
    int stored = ByteBuffer.wrap(file, end + 1, 4).order(ByteOrder.LITTLE_ENDIAN).getInt(end + 1);
    if (masked != stored) {
      throw corrupt("has a block at " + start + " whose checksum does not match (damaged file?)");
    }
  }

  private static long readVarint(ByteBuffer in) {
    long value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      byte b = in.get();
      value |= (long) (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        return value;
      }
    }
    throw new IllegalStateException("varint longer than 10 bytes");
  }

  private SavedModelException corrupt(String what) {
    return new SavedModelException(source + " is not a readable TensorFlow table: it " + what);
  }
}
