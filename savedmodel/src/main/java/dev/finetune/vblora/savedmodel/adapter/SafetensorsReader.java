package dev.finetune.vblora.savedmodel.adapter;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads safetensors files: an 8-byte little-endian header length, a JSON header, then the raw little-endian
 * tensor data. Every problem is reported as an {@link AdapterFormatException} naming the file and what is
 * wrong (truncated file, absurd header length, header not JSON, offsets outside the file or overlapping,
 * sizes that do not match shape and dtype, unknown dtypes).
 */
public final class SafetensorsReader {
  /** The safetensors library refuses headers above 100 MB; so do we, before allocating anything. */
  public static final long MAX_HEADER_BYTES = 100_000_000L;

  private static final int LENGTH_BYTES = 8;

  private SafetensorsReader() {}

  /** Reads and validates only the header (cheap even for large files). */
  public static SafetensorsHeader readHeader(Path file) throws IOException {
    try (FileChannel channel = open(file)) {
      return readHeader(channel, file);
    }
  }

  /** Reads the whole file into memory. */
  public static SafetensorsFile read(Path file) throws IOException {
    try (FileChannel channel = open(file)) {
      SafetensorsHeader header = readHeader(channel, file);
      long dataStart = channel.size() - header.dataSize();
      Map<String, StoredTensor> tensors = new LinkedHashMap<>();
      for (SafetensorsHeader.Entry entry : header.entries()) {
        long size = entry.end() - entry.start();
        if (size > Integer.MAX_VALUE - 8) {
          throw new AdapterFormatException(file.toString(), "tensor \"" + entry.name() + "\" has " + size
              + " bytes, too large to load into one Java array");
        }
        ByteBuffer bytes = readFully(channel, dataStart + entry.start(), (int) size, file);
        tensors.put(entry.name(), new StoredTensor(entry.dtype(), entry.shapeArray(), bytes.array()));
      }
      return new SafetensorsFile(header.metadata(), tensors);
    }
  }

  private static SafetensorsHeader readHeader(FileChannel channel, Path file) throws IOException {
    String source = file.toString();
    long fileSize = channel.size();
    if (fileSize < LENGTH_BYTES) {
      throw new AdapterFormatException(source, "file has " + fileSize
          + " bytes, fewer than the 8-byte header length of a safetensors file; it is truncated or empty");
    }
    long headerLength = readFully(channel, 0, LENGTH_BYTES, file).order(ByteOrder.LITTLE_ENDIAN).getLong();
    if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
      throw new AdapterFormatException(source, "header length " + Long.toUnsignedString(headerLength)
          + " is absurd (safetensors allows at most " + MAX_HEADER_BYTES + "); this is not a safetensors file");
    }
    if (LENGTH_BYTES + headerLength > fileSize) {
      throw new AdapterFormatException(source, "header length " + headerLength + " is larger than the file ("
          + fileSize + " bytes); the file is truncated or not a safetensors file");
    }
    if (headerLength < 2) {
      throw new AdapterFormatException(source, "header length " + headerLength
          + " is too small for a JSON header; this is not a safetensors file");
    }
    ByteBuffer raw = readFully(channel, LENGTH_BYTES, (int) headerLength, file);
    String json;
    try {
      json = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(raw).toString();
    } catch (CharacterCodingException e) {
      throw new AdapterFormatException(source, "safetensors header is not UTF-8 text; "
          + "the file is corrupt or not a safetensors file", e);
    }
    return SafetensorsHeader.parse(json, fileSize - LENGTH_BYTES - headerLength, source);
  }

  private static FileChannel open(Path file) throws IOException {
    try {
      return FileChannel.open(file, StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(file.toString(), null, "safetensors file not found");
    }
  }

  private static ByteBuffer readFully(FileChannel channel, long position, int length, Path file)
      throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(length);
    while (buffer.hasRemaining()) {
      int n = channel.read(buffer, position + buffer.position());
      if (n < 0) {
        throw new EOFException(file + ": file ended while reading; it was truncated while being read");
      }
    }
    buffer.flip();
    return buffer;
  }
}
