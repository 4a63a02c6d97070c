package dev.finetune.vblora.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.FunctionDefLibrary;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NameAttrList;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.OpDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * A serving call that nests another call whose result is the second output of a two-output op (TopKV2), the
 * naming case where function bodies ({@code top:indices:0}) and graphs ({@code top:1}) differ.
 */
class ServingPathInlinerTest {
  private static final float[][] X = {{3, 1, 2}, {0, 5, 4}};

  private static AttrValue type(DataType type) {
    return AttrValue.newBuilder().setType(type).build();
  }

  private static AttrValue types(DataType... types) {
    return AttrValue.newBuilder().setList(AttrValue.ListValue.newBuilder().addAllType(List.of(types))).build();
  }

  private static OpDef.ArgDef arg(String name, DataType type) {
    return OpDef.ArgDef.newBuilder().setName(name).setType(type).build();
  }

  private static NodeDef call(String name, String function, String input) {
    return NodeDef.newBuilder().setName(name).setOp("PartitionedCall").addInput(input)
        .putAttr("Tin", types(DataType.DT_FLOAT)).putAttr("Tout", types(DataType.DT_FLOAT, DataType.DT_INT32))
        .putAttr("f", AttrValue.newBuilder().setFunc(NameAttrList.newBuilder().setName(function)).build()).build();
  }

  /** serve = outer(x); outer(a) = (Identity(inner(a).values), inner(a).indices); inner(b) = top_k(b, 2). */
  private static GraphDef model() {
    FunctionDef inner = FunctionDef.newBuilder()
        .setSignature(OpDef.newBuilder().setName("inner").addInputArg(arg("b", DataType.DT_FLOAT))
            .addOutputArg(arg("values", DataType.DT_FLOAT)).addOutputArg(arg("indices", DataType.DT_INT32)))
        .addNodeDef(NodeDef.newBuilder().setName("k").setOp("Const").putAttr("dtype", type(DataType.DT_INT32))
            .putAttr("value", AttrValue.newBuilder().setTensor(TensorProto.newBuilder().setDtype(DataType.DT_INT32)
                .addIntVal(2)).build()))
        .addNodeDef(NodeDef.newBuilder().setName("top").setOp("TopKV2").addInput("b").addInput("k:output:0")
            .putAttr("T", type(DataType.DT_FLOAT)))
        .putRet("values", "top:values:0").putRet("indices", "top:indices:0").build();
    FunctionDef outer = FunctionDef.newBuilder()
        .setSignature(OpDef.newBuilder().setName("outer").addInputArg(arg("a", DataType.DT_FLOAT))
            .addOutputArg(arg("v", DataType.DT_FLOAT)).addOutputArg(arg("i", DataType.DT_INT32)))
        .addNodeDef(call("call", "inner", "a"))
        .addNodeDef(NodeDef.newBuilder().setName("vi").setOp("Identity").addInput("call:output:0")
            .putAttr("T", type(DataType.DT_FLOAT)))
        .putRet("v", "vi:output:0").putRet("i", "call:output:1").build();
    return GraphDef.newBuilder()
        .addNode(NodeDef.newBuilder().setName("x").setOp("Placeholder").putAttr("dtype", type(DataType.DT_FLOAT)))
        .addNode(call("serve", "outer", "x"))
        .setLibrary(FunctionDefLibrary.newBuilder().addFunction(inner).addFunction(outer)).build();
  }

  private static SignatureDef signature() {
    return SignatureDef.newBuilder().putInputs("x", TensorInfo.newBuilder().setName("x:0").build())
        .putOutputs("values", TensorInfo.newBuilder().setName("serve:0").build())
        .putOutputs("indices", TensorInfo.newBuilder().setName("serve:1").build()).build();
  }

  private static Object[] run(GraphDef graphDef, SignatureDef signature) {
    try (Graph graph = new Graph()) {
      graph.importGraphDef(graphDef);
      try (Session session = new Session(graph);
          TFloat32 x = TFloat32.tensorOf(StdArrays.ndCopyOf(X));
          Result result = session.runner().feed("x:0", x)
              .fetch(signature.getOutputsOrThrow("values").getName())
              .fetch(signature.getOutputsOrThrow("indices").getName()).run()) {
        return new Object[] {StdArrays.array2dCopyOf((TFloat32) result.get(0)),
            StdArrays.array2dCopyOf((TInt32) result.get(1))};
      }
    }
  }

  @Test
  void theInlinedGraphComputesWhatTheCallsDid() {
    ServingPathInliner.Inlined inlined = ServingPathInliner.inline(model(), signature());
    assertTrue(inlined.graph().getNodeList().stream().noneMatch(n -> n.getOp().equals("PartitionedCall")),
        "every call on the serving path is inlined");
    assertEquals("serve/call/top:1", inlined.signature().getOutputsOrThrow("indices").getName());
    for (Object[] out : List.of(run(model(), signature()), run(inlined.graph(), inlined.signature()))) {
      // top-2 of each row, by plain reading of X
      assertArrayEquals(new float[][] {{3, 2}, {5, 4}}, (float[][]) out[0]);
      assertArrayEquals(new int[][] {{0, 2}, {1, 2}}, (int[][]) out[1]);
    }
  }

  /**
   * A body node colocated with a body node follows it; one colocated with a node the body lacks (left from the
   * Python graph the function was traced from, as in bert-for-tf2's ALBERT) loses that entry, which a graph
   * import would refuse.
   */
  @Test
  void colocationWithNodesOutsideTheBodyIsDropped() {
    GraphDef model = model();
    GraphDef.Builder edited = model.toBuilder();
    FunctionDef.Builder inner = edited.getLibraryBuilder().getFunctionBuilder(0);
    for (int i = 0; i < inner.getNodeDefCount(); i++) {
      if (inner.getNodeDef(i).getName().equals("top")) {
        inner.setNodeDef(i, inner.getNodeDef(i).toBuilder().putAttr("_class", AttrValue.newBuilder()
            .setList(AttrValue.ListValue.newBuilder().addS(ByteString.copyFromUtf8("loc:@k"))
                .addS(ByteString.copyFromUtf8("loc:@traced_only/59898"))).build()));
      }
    }
    ServingPathInliner.Inlined inlined = ServingPathInliner.inline(edited.build(), signature());
    NodeDef top = inlined.graph().getNodeList().stream().filter(n -> n.getName().equals("serve/call/top"))
        .findFirst().orElseThrow();
    assertEquals(List.of("loc:@serve/call/k"), top.getAttrOrThrow("_class").getList().getSList().stream()
        .map(ByteString::toStringUtf8).toList());
    Object[] out = run(inlined.graph(), inlined.signature());
    assertArrayEquals(new int[][] {{0, 2}, {1, 2}}, (int[][]) out[1]);
  }
}
