package dev.finetune.vblora.savedmodel;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.tensorflow.proto.BundleEntryProto;
import org.tensorflow.proto.BundleHeaderProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * The index of a TensorFlow V2 checkpoint ("tensor bundle"): which tensors the checkpoint holds, with their
 * dtypes and shapes, without reading the (large) data files.
 *
 * <p>The index is a table whose first key is the empty string (a {@link BundleHeaderProto}) and whose other
 * keys are tensor names, each mapped to a {@link BundleEntryProto}.
 */
public final class TensorBundleIndex {
  /** What to do about a damaged model folder. */
  static final String COPY_AGAIN = "the model was copied or downloaded incompletely: copy the whole SavedModel"
      + " folder again (a built-in model: delete its folder and run again to fetch it anew)";
  private final BundleHeaderProto header;
  private final List<VariableInfo> tensors;
  private final Map<Integer, Extent> shardExtents;

  /** How many bytes of a data shard the index's tensors need, and the tensor that ends last. */
  private record Extent(long end, String lastTensor) {}

  private TensorBundleIndex(BundleHeaderProto header, List<VariableInfo> tensors, Map<Integer, Extent> shardExtents) {
    this.header = header;
    this.tensors = List.copyOf(tensors);
    this.shardExtents = Map.copyOf(shardExtents);
  }

  /** Reads {@code prefix + ".index"}, e.g. prefix {@code <model>/variables/variables}. */
  public static TensorBundleIndex read(Path prefix) {
    Path index = prefix.resolveSibling(prefix.getFileName() + ".index");
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(index);
    } catch (NoSuchFileException e) {
      throw new SavedModelException("checkpoint index " + index + " does not exist", e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read checkpoint index " + index, e);
    }
    return parse(bytes, index.toString());
  }

  static TensorBundleIndex parse(byte[] bytes, String source) {
    BundleHeaderProto header = null;
    List<VariableInfo> tensors = new ArrayList<>();
    Map<Integer, Extent> extents = new HashMap<>();
    try {
      for (SortedStringTable.Entry entry : SortedStringTable.read(bytes, source)) {
        if (entry.key().length == 0) {
          header = BundleHeaderProto.parseFrom(entry.value());
          continue;
        }
        BundleEntryProto proto = BundleEntryProto.parseFrom(entry.value());
        String name = new String(entry.key(), StandardCharsets.UTF_8);
        tensors.add(new VariableInfo(name, proto.getDtype(), dims(proto.getShape())));
        long end = proto.getOffset() + proto.getSize();
        extents.merge(proto.getShardId(), new Extent(end, name), (a, b) -> a.end() >= b.end() ? a : b);
      }
    } catch (InvalidProtocolBufferException e) {
      throw new SavedModelException(source + " is not a checkpoint index: an entry is not a bundle proto", e);
    }
    if (header == null) {
      throw new SavedModelException(source + " is not a checkpoint index: it has no bundle header");
    }
    return new TensorBundleIndex(header, tensors, extents);
  }

  /**
   * Checks that the data files next to {@code prefix} (prefix.data-0000S-of-0000N) exist and are long enough
   * for every tensor the index lists: TensorFlow would otherwise fail deep in a restore with "Read less bytes
   * than requested" and no file name.
   *
   * @throws SavedModelException naming the missing or truncated file and what to do
   */
  public void requireDataFiles(Path prefix) {
    int shards = Math.max(header.getNumShards(), 1);
    for (Map.Entry<Integer, Extent> e : shardExtents.entrySet()) {
      Path data = prefix.resolveSibling(String.format(Locale.ROOT, "%s.data-%05d-of-%05d", prefix.getFileName(),
          e.getKey(), shards));
      long size;
      try {
        size = Files.size(data);
      } catch (NoSuchFileException ex) {
        throw new SavedModelException("the variables file " + data + " is missing (its index "
            + prefix.getFileName() + ".index lists tensors in it); " + COPY_AGAIN, ex);
      } catch (IOException ex) {
        throw new UncheckedIOException("cannot read the variables file " + data, ex);
      }
      if (size < e.getValue().end()) {
        throw new SavedModelException("the variables file " + data + " is truncated: it has " + size
            + " bytes but its tensors (up to " + e.getValue().lastTensor() + ") need " + e.getValue().end() + "; "
            + COPY_AGAIN);
      }
    }
  }

  static List<Long> dims(TensorShapeProto shape) {
    List<Long> dims = new ArrayList<>(shape.getDimCount());
    for (TensorShapeProto.Dim dim : shape.getDimList()) {
      dims.add(dim.getSize());
    }
    return dims;
  }

  /** The bundle header (number of shards, endianness, format version). */
  public BundleHeaderProto header() {
    return header;
  }

  /** Every tensor, in key order. */
  public List<VariableInfo> tensors() {
    return tensors;
  }
}
