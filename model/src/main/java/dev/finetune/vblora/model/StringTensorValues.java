package dev.finetune.vblora.model;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * The elements of a string TensorProto, in either of the two ways TensorFlow stores them. Python's savers write a
 * Const's strings one by one into {@code string_val} (fewer values than elements repeat the last, none means every
 * element is empty); TensorFlow's C API, and so TF-Java, writes {@code tensor_content}: the varint32 length of
 * every element, then their bytes one after the other (TensorFlow's EncodeStringList). A reader of savers that
 * knew only the first would take a TF-Java-built model's saver for one it cannot follow.
 */
final class StringTensorValues {
  private StringTensorValues() {}

  /** Every element of {@code tensor} in row-major order; empty when it is no string tensor or is malformed. */
  static Optional<List<String>> of(TensorProto tensor) {
    if (tensor.getDtype() != DataType.DT_STRING) {
      return Optional.empty();
    }
    long count = elements(tensor.getTensorShape());
    if (count < 0 || count > Integer.MAX_VALUE) {
      return Optional.empty();
    }
    if (!tensor.getTensorContent().isEmpty()) {
      // Every element takes at least its one-byte length: a larger count is malformed, and is not allocated.
      return count > tensor.getTensorContent().size() ? Optional.empty()
          : decode(tensor.getTensorContent(), (int) count);
    }
    int stored = tensor.getStringValCount();
    if (stored > count) {
      return Optional.empty();
    }
    int size = (int) count;
    // A view, not a copy: a few stored values may stand for many elements.
    return Optional.of(new AbstractList<>() {
      @Override
      public String get(int i) {
        Objects.checkIndex(i, size);
        return stored == 0 ? "" : tensor.getStringVal(Math.min(i, stored - 1)).toStringUtf8();
      }

      @Override
      public int size() {
        return size;
      }
    });
  }

  /** The number of elements of {@code shape}; -1 when a dimension is unknown or the rank is. */
  private static long elements(TensorShapeProto shape) {
    if (shape.getUnknownRank()) {
      return -1;
    }
    long count = 1;
    for (TensorShapeProto.Dim dim : shape.getDimList()) {
      if (dim.getSize() < 0) {
        return -1;
      }
      if (dim.getSize() > 0 && count > Long.MAX_VALUE / dim.getSize()) {
        return -1;
      }
      count *= dim.getSize();
    }
    return count;
  }

  private static Optional<List<String>> decode(ByteString content, int count) {
    try {
      CodedInputStream in = content.newCodedInput();
      int[] lengths = new int[count];
      for (int i = 0; i < count; i++) {
        lengths[i] = in.readRawVarint32();
      }
      List<String> values = new ArrayList<>(count);
      for (int length : lengths) {
        values.add(new String(in.readRawBytes(length), StandardCharsets.UTF_8));
      }
      return in.isAtEnd() ? Optional.of(values) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
