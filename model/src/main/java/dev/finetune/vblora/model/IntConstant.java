package dev.finetune.vblora.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/** int32 and int64 Const nodes, as the graph rewrites write (indices, axes, strides) and read them. */
final class IntConstant {
  private IntConstant() {}

  /** A Const of shape [values.length]. */
  static NodeDef vector(String name, DataType type, long... values) {
    return node(name, type, TensorShapeProto.newBuilder()
        .addDim(TensorShapeProto.Dim.newBuilder().setSize(values.length)).build(), values);
  }

  /** A Const of shape []. */
  static NodeDef scalar(String name, DataType type, long value) {
    return node(name, type, TensorShapeProto.getDefaultInstance(), value);
  }

  private static NodeDef node(String name, DataType type, TensorShapeProto shape, long... values) {
    TensorProto.Builder tensor = TensorProto.newBuilder().setDtype(type).setTensorShape(shape);
    for (long v : values) {
      if (type == DataType.DT_INT64) {
        tensor.addInt64Val(v);
      } else {
        tensor.addIntVal(Math.toIntExact(v));
      }
    }
    return NodeDef.newBuilder().setName(name).setOp("Const")
        .putAttr("dtype", AttrValue.newBuilder().setType(type).build())
        .putAttr("value", AttrValue.newBuilder().setTensor(tensor).build())
        .build();
  }

  /**
   * The values of an int32 or int64 constant, in row-major order: from int_val or int64_val (a shorter list repeats
   * its last value, as TensorFlow reads it), tensor_content, or none at all (zeros); empty for other types and for
   * tensor_content whose size does not match the shape (a corrupt graph).
   */
  static Optional<long[]> values(TensorProto value) {
    if (value.getDtype() != DataType.DT_INT32 && value.getDtype() != DataType.DT_INT64) {
      return Optional.empty();
    }
    long count = 1;
    for (TensorShapeProto.Dim dim : value.getTensorShape().getDimList()) {
      count *= dim.getSize();
    }
    long[] out = new long[Math.toIntExact(count)];
    boolean int32 = value.getDtype() == DataType.DT_INT32;
    int listed = int32 ? value.getIntValCount() : value.getInt64ValCount();
    ByteBuffer content = ByteBuffer.wrap(value.getTensorContent().toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
    if (listed == 0 && content.capacity() == 0) {
      return Optional.of(out); // no values at all: every element is zero
    }
    if (listed == 0 && content.capacity() != out.length * (int32 ? Integer.BYTES : Long.BYTES)) {
      return Optional.empty(); // tensor_content of another size: not a constant a rewrite can read
    }
    for (int i = 0; i < out.length; i++) {
      if (listed > 0) {
        int at = Math.min(i, listed - 1);
        out[i] = int32 ? value.getIntVal(at) : value.getInt64Val(at);
      } else {
        out[i] = int32 ? content.getInt(i * Integer.BYTES) : content.getLong(i * Long.BYTES);
      }
    }
    return Optional.of(out);
  }
}
