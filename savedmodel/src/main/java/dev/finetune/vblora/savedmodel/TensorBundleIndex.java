package dev.finetune.vblora.savedmodel;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
  private final BundleHeaderProto header;
  private final List<VariableInfo> tensors;

  private TensorBundleIndex(BundleHeaderProto header, List<VariableInfo> tensors) {
    this.header = header;
    this.tensors = List.copyOf(tensors);
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
    try {
      for (SortedStringTable.Entry entry : SortedStringTable.read(bytes, source)) {
        if (entry.key().length == 0) {
          header = BundleHeaderProto.parseFrom(entry.value());
          continue;
        }
        BundleEntryProto proto = BundleEntryProto.parseFrom(entry.value());
        String name = new String(entry.key(), StandardCharsets.UTF_8);
        tensors.add(new VariableInfo(name, proto.getDtype(), dims(proto.getShape())));
      }
    } catch (InvalidProtocolBufferException e) {
      throw new SavedModelException(source + " is not a checkpoint index: an entry is not a bundle proto", e);
    }
    if (header == null) {
      throw new SavedModelException(source + " is not a checkpoint index: it has no bundle header");
    }
    return new TensorBundleIndex(header, tensors);
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
