package dev.finetune.vblora.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.OpDef;

/**
 * Function-body output names ({@code node:arg:i}) to GraphDef flat output indices and back, per the ops' OpDefs.
 */
class OutputArgsTest {
  private static final FunctionDef TWO_RESULTS = FunctionDef.newBuilder().setSignature(OpDef.newBuilder()
      .setName("two_results")
      .addOutputArg(OpDef.ArgDef.newBuilder().setName("first").setType(DataType.DT_FLOAT))
      .addOutputArg(OpDef.ArgDef.newBuilder().setName("second").setType(DataType.DT_FLOAT))).build();

  private static NodeDef node(String op, Map<String, AttrValue> attrs) {
    return NodeDef.newBuilder().setName("n").setOp(op).putAllAttr(attrs).build();
  }

  @ParameterizedTest(name = "{0}:{1}:{2} is output {3}, and back")
  @CsvSource({
      "MatMul, product, 0, 0",
      "TopKV2, values, 0, 0",
      "TopKV2, indices, 0, 1",
      "Split, output, 2, 2",
      "Unique, idx, 0, 1",
      "two_results, second, 0, 1",
  })
  void flatIndices(String op, String arg, int index, int flat) {
    NodeDef node = node(op, Map.of("num_split", AttrValue.newBuilder().setI(3).build()));
    OutputArgs args = new OutputArgs(Map.of("two_results", TWO_RESULTS));
    assertEquals(flat, args.flatIndex(node, arg, index));
    assertEquals(arg + ":" + index, args.argName(node, flat));
  }

  @ParameterizedTest(name = "after a list of {0}, outputs shift by {0}")
  @CsvSource({"1, 1", "3, 3"})
  void listOutputsShiftLaterArgs(int listLength, int shift) {
    // SparseSplit: output_indices, output_values, output_shape, each a list of num_split tensors.
    NodeDef node = node("SparseSplit", Map.of("num_split", AttrValue.newBuilder().setI(listLength).build()));
    assertEquals(2 * shift, new OutputArgs(Map.of()).flatIndex(node, "output_shape", 0));
  }
}
