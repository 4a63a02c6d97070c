package dev.finetune.vblora.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/** Integer constants read the way TensorFlow reads them, and a corrupt one refused rather than misread. */
class IntConstantTest {
  @Test
  void whatIsWrittenReadsBack() {
    TensorProto vector = IntConstant.vector("v", DataType.DT_INT64, 3, -1, 7).getAttrOrThrow("value").getTensor();
    assertArrayEquals(new long[] {3, -1, 7}, IntConstant.values(vector).orElseThrow());
    TensorProto scalar = IntConstant.scalar("s", DataType.DT_INT32, 5).getAttrOrThrow("value").getTensor();
    assertArrayEquals(new long[] {5}, IntConstant.values(scalar).orElseThrow());
  }

  @Test
  void tensorContentOfTheShapesSizeIsReadAndAnyOtherSizeIsRefused() {
    ByteBuffer three = ByteBuffer.allocate(3 * Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN).putInt(4).putInt(0)
        .putInt(-2);
    assertArrayEquals(new long[] {4, 0, -2}, IntConstant.values(int32(3, three.array())).orElseThrow());
    byte[] truncated = new byte[2 * Integer.BYTES];
    assertEquals(Optional.empty(), IntConstant.values(int32(3, truncated)));
  }

  private static TensorProto int32(int length, byte[] content) {
    return TensorProto.newBuilder().setDtype(DataType.DT_INT32)
        .setTensorShape(TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dim.newBuilder().setSize(length)))
        .setTensorContent(ByteString.copyFrom(content)).build();
  }
}
