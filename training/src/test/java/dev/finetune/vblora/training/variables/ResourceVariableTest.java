package dev.finetune.vblora.training.variables;

import dev.finetune.vblora.model.OpNames;
import dev.finetune.vblora.model.ElementType;
import dev.finetune.vblora.model.ResourceVariable;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.types.TFloat32;

class ResourceVariableTest {

  @Test
  void twoVariablesKeepTheirOwnValues() {
    // VarHandleOps with an empty shared_name would alias one resource; ours are named after themselves.
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      ResourceVariable a = ResourceVariable.create(tf, "a", tf.constant(new float[] {1, 2}));
      ResourceVariable b = ResourceVariable.create(tf, "scope/b:0", tf.constant(new long[] {7}));
      VariableTransfer transfer = VariableTransfer.build(tf, List.of(a, b));
      s.initialize();
      Map<String, HostTensor> values = transfer.read(s);
      assertArrayEquals(new float[] {1, 2}, values.get("a").toFloats());
      assertArrayEquals(new long[] {7}, values.get("scope/b:0").toLongs());
      assertEquals("scope/b_0", b.handle().op().name(), "':' is not allowed in op names");
      assertEquals("scope/b_0", g.operation("scope/b_0").attributes().getAttrString("shared_name"));
    }
  }

  @Test
  void aSecondVariableOfTheSameNameIsRefused() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      ResourceVariable.create(tf, "head/kernel", tf.constant(new float[] {1}));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> ResourceVariable.create(tf, "head/kernel", tf.constant(new float[] {2})));
      assertTrue(e.getMessage().contains("head/kernel"), e.getMessage());
    }
  }

  @Test
  void wrapsAVarHandleOpOfAnImportedGraph() {
    GraphDef exported;
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      ResourceVariable.create(tf, "module/bert/kernel", tf.zeros(tf.constant(new long[] {3, 2}), TFloat32.class));
      exported = g.toGraphDef();
    }
    try (Graph g = new Graph()) {
      g.importGraphDef(exported);
      ResourceVariable v = ResourceVariable.of(g.operation("module/bert/kernel"));
      assertEquals("module/bert/kernel", v.name());
      assertEquals(ElementType.F32, v.type());
      assertEquals(Shape.of(3, 2), v.shape());
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> ResourceVariable.of(g.operation("module/bert/kernel/Assign")));
      assertTrue(e.getMessage().contains("not a VarHandleOp"), e.getMessage());
    }
  }

  @Test
  void initializerCanBeRunByNameAfterAGraphDefRoundTrip() {
    GraphDef exported;
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      ResourceVariable.create(tf, "vblora/bank", tf.constant(new float[] {0.5f, -0.25f}));
      exported = g.toGraphDef();
    }
    try (Graph g = new Graph(); Session s = new Session(g)) {
      g.importGraphDef(exported);
      ResourceVariable bank = ResourceVariable.of(g.operation("vblora/bank"));
      VariableTransfer transfer = VariableTransfer.build(Ops.create(g), List.of(bank));
      s.run(ResourceVariable.initializerName("vblora/bank"));
      assertArrayEquals(new float[] {0.5f, -0.25f}, transfer.read(s).get("vblora/bank").toFloats());
    }
  }

  @Test
  void transferRefusesPartialOrMismatchedValues() {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      ResourceVariable a = ResourceVariable.create(tf, "a", tf.constant(new float[] {1, 2}));
      VariableTransfer transfer = VariableTransfer.build(tf, List.of(a));
      s.initialize();
      IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
          () -> transfer.assign(s, Map.of("b", HostTensor.ofFloats(new long[] {2}, 0, 0))));
      assertTrue(missing.getMessage().contains("missing [a]") && missing.getMessage().contains("[b]"),
          missing.getMessage());
      IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
          () -> transfer.assign(s, Map.of("a", HostTensor.ofFloats(new long[] {3}, 0, 0, 0))));
      assertTrue(shape.getMessage().contains("[3]"), shape.getMessage());
      transfer.assign(s, Map.of("a", HostTensor.ofFloats(new long[] {2}, 5, 6)));
      assertArrayEquals(new float[] {5, 6}, transfer.read(s).get("a").toFloats());
    }
  }

  @Test
  void opNamesReplaceWhatTensorFlowRejects() {
    assertEquals("optimizer/m/module/bert/kernel_0", OpNames.path("optimizer/m/module/bert/kernel:0"));
    assertEquals("v_x/y", OpNames.path("/_x//y/"));
  }

  @Test
  void hostTensorChecksItsSize() {
    assertThrows(IllegalArgumentException.class, () -> new HostTensor(ElementType.F32, new long[] {3}, new byte[8]));
    assertEquals(HostTensor.ofFloats(new long[] {2}, 1, 2), HostTensor.ofFloats(new long[] {2}, 1, 2));
  }
}
