package dev.finetune.vblora.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;

/** The value of a one-element float32 or bfloat16 constant, as the graph rewrites read scales and coefficients. */
final class ScalarConstant {
  private ScalarConstant() {}

  /**
   * @return the value when {@code value} holds exactly one float32 (in float_val or tensor_content) or bfloat16 (in
   *     half_val) element; empty otherwise. Its shape is the caller's to check (a [1, 1] constant broadcasts).
   */
  static Optional<Float> of(TensorProto value) {
    if (value.getDtype() == DataType.DT_FLOAT) {
      if (value.getFloatValCount() == 1) {
        return Optional.of(value.getFloatVal(0));
      }
      if (value.getTensorContent().size() == Float.BYTES) {
        return Optional.of(ByteBuffer.wrap(value.getTensorContent().toByteArray()).order(ByteOrder.LITTLE_ENDIAN)
            .getFloat());
      }
    }
    if (value.getDtype() == DataType.DT_BFLOAT16 && value.getHalfValCount() == 1) {
      return Optional.of(Float.intBitsToFloat(value.getHalfVal(0) << 16));
    }
    return Optional.empty();
  }
}
