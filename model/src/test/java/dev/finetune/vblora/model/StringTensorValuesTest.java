package dev.finetune.vblora.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * A string constant reads the same whether Python wrote it (string_val) or TF-Java did (tensor_content), so that a
 * saver's checkpoint keys are found in either.
 */
class StringTensorValuesTest {
  private static final List<String> KEYS = List.of("bert/encoder/layer_0/attention/self/query/kernel", "",
      "gewicht/ä");

  @Test
  void readsTheStringsOfATfJavaConstant() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      tf.withName("keys").constant(NdArrays.vectorOfObjects(KEYS.toArray(String[]::new)));
      TensorProto value = g.toGraphDef().getNodeList().stream().filter(n -> n.getName().equals("keys")).findFirst()
          .orElseThrow().getAttrOrThrow("value").getTensor();
      assertTrue(value.getStringValCount() == 0 && !value.getTensorContent().isEmpty(),
          "TF-Java stores string constants as tensor_content: " + value);
      assertEquals(Optional.of(KEYS), StringTensorValues.of(value));
    }
  }

  @Test
  void readsStringValAsPythonWritesIt() {
    TensorProto.Builder value = vector(DataType.DT_STRING, KEYS.size());
    KEYS.forEach(k -> value.addStringVal(ByteString.copyFromUtf8(k)));
    assertEquals(Optional.of(KEYS), StringTensorValues.of(value.build()));
  }

  @Test
  void fewerStringValsThanElementsRepeatTheLastAndNoneMeansEmptyStrings() {
    assertEquals(Optional.of(List.of("", "", "")),
        StringTensorValues.of(vector(DataType.DT_STRING, 3).addStringVal(ByteString.EMPTY).build()));
    assertEquals(Optional.of(List.of("", "")), StringTensorValues.of(vector(DataType.DT_STRING, 2).build()));
    assertEquals(Optional.of(List.of("a", "b", "b")), StringTensorValues.of(vector(DataType.DT_STRING, 3)
        .addStringVal(ByteString.copyFromUtf8("a")).addStringVal(ByteString.copyFromUtf8("b")).build()));
  }

  @Test
  void malformedOrOtherTensorsGiveNothing() {
    // Two elements announced, the content holds one length and a cut string.
    TensorProto truncated = vector(DataType.DT_STRING, 2)
        .setTensorContent(ByteString.copyFrom(new byte[] {5, 'a', 'b'})).build();
    assertFalse(StringTensorValues.of(truncated).isPresent());
    TensorProto trailing = vector(DataType.DT_STRING, 1)
        .setTensorContent(ByteString.copyFrom(new byte[] {1, 'a', 'b'})).build();
    assertFalse(StringTensorValues.of(trailing).isPresent(), "bytes beyond the last string");
    assertFalse(StringTensorValues.of(vector(DataType.DT_FLOAT, 1).addFloatVal(1f).build()).isPresent());
    TensorProto tooMany = vector(DataType.DT_STRING, 1).addStringVal(ByteString.copyFromUtf8("a"))
        .addStringVal(ByteString.copyFromUtf8("b")).build();
    assertFalse(StringTensorValues.of(tooMany).isPresent());
  }

  @Test
  void aLargeDeclaredShapeIsNeverAllocated() {
    int huge = 1 << 30;
    TensorProto content = vector(DataType.DT_STRING, huge).setTensorContent(ByteString.copyFrom(new byte[] {1, 'a'}))
        .build();
    assertFalse(StringTensorValues.of(content).isPresent(), "more elements than bytes: malformed");
    List<String> repeated = StringTensorValues.of(vector(DataType.DT_STRING, huge)
        .addStringVal(ByteString.copyFromUtf8("a")).build()).orElseThrow();
    assertEquals(huge, repeated.size());
    assertEquals("a", repeated.get(huge - 1));
  }

  private static TensorProto.Builder vector(DataType type, int size) {
    return TensorProto.newBuilder().setDtype(type)
        .setTensorShape(TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dim.newBuilder().setSize(size)));
  }
}
