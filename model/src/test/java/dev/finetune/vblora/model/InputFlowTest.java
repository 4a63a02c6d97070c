package dev.finetune.vblora.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Integer inputs with names of no convention (Keras' input_13 ...) told apart by what their values index: a
 * vocabulary-sized embedding (ids), a two-row one (types), none (mask).
 */
class InputFlowTest {
  @Test
  void idsIndexTheVocabularyTypesASmallTableAndTheMaskNoTable() {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Placeholder<TInt32> ids = tf.withName("input_13").placeholder(TInt32.class);
      Placeholder<TInt32> mask = tf.withName("input_14").placeholder(TInt32.class);
      Placeholder<TInt32> types = tf.withName("input_15").placeholder(TInt32.class);
      Operand<?> words = tf.withName("word_embeddings").varHandleOp(TFloat32.class, Shape.of(1000, 8));
      Operand<?> typeTable = tf.withName("type_embeddings").varHandleOp(TFloat32.class, Shape.of(2, 8));
      Operand<TFloat32> embedded = tf.math.add(tf.resourceGather(words, tf.dtypes.cast(ids, TInt32.class),
          TFloat32.class), tf.resourceGather(typeTable, types, TFloat32.class));
      Operand<TFloat32> masked = tf.withName("out").math.mul(embedded,
          tf.expandDims(tf.dtypes.cast(mask, TFloat32.class), tf.constant(-1)));
      SignatureDef signature = SignatureDef.newBuilder()
          .putInputs("input_13", info("input_13:0")).putInputs("input_14", info("input_14:0"))
          .putInputs("input_15", info("input_15:0")).putOutputs("out", info(masked.op().name() + ":0")).build();
      MetaGraphDef meta = MetaGraphDef.newBuilder().setGraphDef(graph.toGraphDef())
          .putSignatureDef("serving_default", signature).build();
      assertEquals(Map.of("input_13", InputFlow.Kind.IDS, "input_14", InputFlow.Kind.MASK,
          "input_15", InputFlow.Kind.TYPES), InputFlow.of(meta, "serving_default"));
    }
  }

  private static TensorInfo info(String name) {
    return TensorInfo.newBuilder().setName(name).setDtype(DataType.DT_INT32).build();
  }
}
