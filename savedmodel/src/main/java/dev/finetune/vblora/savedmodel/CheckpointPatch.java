package dev.finetune.vblora.savedmodel;

import dev.finetune.vblora.data.error.VbLoraException;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.zip.CRC32C;
import org.tensorflow.proto.BundleEntryProto;
import org.tensorflow.proto.BundleHeaderProto;
import org.tensorflow.proto.DataType;

/**
 * Writes a copy of a TensorFlow V2 checkpoint in which some float32 tensors hold new values, without
 * TensorFlow: the data files are copied, each changed tensor is overwritten in place (its size does not change),
 * and the index is written anew with those tensors' checksums. Every other byte of the data files is the base
 * checkpoint's. This is how a merged export rewrites a 420 MB BERT checkpoint to change 24 kernels: a file copy
 * instead of restoring and saving every variable through a session.
 */
public final class CheckpointPatch {
  private CheckpointPatch() {}

  /** Where a tensor lives: its index entry, parsed, and its key. */
  private record Located(String key, BundleEntryProto entry, int position) {}

  /**
   * Copies the checkpoint at {@code basePrefix} (e.g. model/variables/variables) to {@code targetPrefix} with the
   * float32 tensors under {@code keys} replaced by {@code values.apply(key, baseValues)} (row-major, the tensor's
   * element count).
   *
   * @return false when it cannot patch (a key missing, not float32, sliced, or in another byte order): the
   *     caller then saves through TensorFlow; nothing has been written in that case
   */
  public static boolean write(Path basePrefix, Path targetPrefix, List<String> keys,
      BiFunction<String, float[], float[]> values) throws IOException {
    Path baseIndex = indexOf(basePrefix);
    List<SortedStringTable.Entry> entries = SortedStringTable.read(Files.readAllBytes(baseIndex),
        baseIndex.toString());
    BundleHeaderProto header;
    Map<String, Located> located = new HashMap<>();
    try {
      if (entries.isEmpty() || entries.get(0).key().length != 0) {
        return false;
      }
      header = BundleHeaderProto.parseFrom(entries.get(0).value());
      for (int i = 1; i < entries.size(); i++) {
        String key = new String(entries.get(i).key(), StandardCharsets.UTF_8);
        located.put(key, new Located(key, BundleEntryProto.parseFrom(entries.get(i).value()), i));
      }
    } catch (InvalidProtocolBufferException e) {
      return false;
    }
    if (header.getEndianness() != BundleHeaderProto.Endianness.LITTLE) {
      return false;
    }
    for (String key : keys) {
      Located l = located.get(key);
      if (l == null || l.entry().getDtype() != DataType.DT_FLOAT || l.entry().getSlicesCount() > 0
          || l.entry().getSize() % 4 != 0) {
        return false;
      }
    }
    int shards = Math.max(header.getNumShards(), 1);
    Files.createDirectories(targetPrefix.getParent());
    List<Path> created = new ArrayList<>();
    try {
      patch(basePrefix, targetPrefix, keys, values, entries, located, shards, created);
      return true;
    } catch (IOException | RuntimeException e) {
      // A refused value (e.g. NaN) or a failed write leaves no partial checkpoint behind; only the files this
      // call created are removed (a file that was there already made the copy fail, and stays).
      for (Path file : created) {
        Files.deleteIfExists(file);
      }
      throw e;
    }
  }

  private static void patch(Path basePrefix, Path targetPrefix, List<String> keys,
      BiFunction<String, float[], float[]> values, List<SortedStringTable.Entry> entries,
      Map<String, Located> located, int shards, List<Path> created) throws IOException {
    for (int shard = 0; shard < shards; shard++) {
      Path copy = dataFile(targetPrefix, shard, shards);
      Files.copy(dataFile(basePrefix, shard, shards), copy);
      created.add(copy);
    }
    List<SortedStringTable.Entry> patched = new ArrayList<>(entries);
    for (String key : keys) {
      Located l = located.get(key);
      BundleEntryProto entry = l.entry();
      float[] base = read(dataFile(basePrefix, entry.getShardId(), shards), entry);
      float[] value = values.apply(key, base);
      if (value.length != base.length) {
        throw new VbLoraException("the new value of " + key + " has " + value.length + " elements, the"
            + " checkpoint's " + base.length);
      }
      byte[] bytes = toBytes(value);
      try (FileChannel out = FileChannel.open(dataFile(targetPrefix, entry.getShardId(), shards),
          StandardOpenOption.WRITE)) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        long position = entry.getOffset();
        while (buffer.hasRemaining()) {
          position += out.write(buffer, position);
        }
      }
      CRC32C crc = new CRC32C();
      crc.update(bytes);
      BundleEntryProto updated = entry.toBuilder().setCrc32C(SortedStringTable.mask((int) crc.getValue())).build();
      patched.set(l.position(), new SortedStringTable.Entry(entries.get(l.position()).key(), updated.toByteArray()));
    }
    Path index = indexOf(targetPrefix);
    Files.write(index, SortedStringTable.write(patched), StandardOpenOption.CREATE_NEW);
    created.add(index);
  }

  private static float[] read(Path data, BundleEntryProto entry) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(Math.toIntExact(entry.getSize())).order(ByteOrder.LITTLE_ENDIAN);
    try (FileChannel in = FileChannel.open(data, StandardOpenOption.READ)) {
      long position = entry.getOffset();
      while (buffer.hasRemaining()) {
        int n = in.read(buffer, position);
        if (n < 0) {
          throw new IOException(data + " ends inside a tensor; " + TensorBundleIndex.COPY_AGAIN);
        }
        position += n;
      }
    }
    buffer.flip();
    float[] values = new float[buffer.remaining() / 4];
    buffer.asFloatBuffer().get(values);
    return values;
  }

  private static byte[] toBytes(float[] values) {
    ByteBuffer buffer = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    buffer.asFloatBuffer().put(values);
    return buffer.array();
  }

  private static Path indexOf(Path prefix) {
    return prefix.resolveSibling(prefix.getFileName() + ".index");
  }

  private static Path dataFile(Path prefix, int shard, int shards) {
    return prefix.resolveSibling(String.format(Locale.ROOT, "%s.data-%05d-of-%05d", prefix.getFileName(), shard,
        shards));
  }
}
