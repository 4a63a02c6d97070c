package dev.finetune.vblora.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.types.TFloat32;

/**
 * Which base variables go into packed variables: matrices and biases do, vectors that anything but an addition
 * reads (a LayerNorm's scale and offset) keep their own, since XLA would copy their rows out on every step.
 */
class BaseWeightPackingTest {

  /** Two dense layers, each a kernel, a bias, and a LayerNorm-like scale and offset, on one output. */
  private static GraphDef twoLayers() {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Operand<TFloat32> x = tf.withName("x").placeholder(TFloat32.class);
      for (int layer = 0; layer < 2; layer++) {
        Ops scope = tf.withSubScope("layer_" + layer);
        Operand<TFloat32> kernel = read(scope, "kernel", Shape.of(4, 4));
        Operand<TFloat32> bias = read(scope, "bias", Shape.of(4));
        Operand<TFloat32> scale = read(scope, "gamma", Shape.of(4));
        Operand<TFloat32> offset = read(scope, "beta", Shape.of(4));
        Operand<TFloat32> dense = scope.nn.biasAdd(scope.linalg.matMul(x, kernel), scope.identity(bias));
        x = scope.math.sub(offset, scope.math.mul(dense, scale));
      }
      tf.withName("y").identity(x);
      return graph.toGraphDef();
    }
  }

  private static Operand<TFloat32> read(Ops tf, String name, Shape shape) {
    return tf.readVariableOp(tf.withName(name).varHandleOp(TFloat32.class, shape), TFloat32.class);
  }

  @Test
  void matricesAndBiasesArePackedAndOtherVectorsKeepTheirVariables() {
    GraphDef graph = twoLayers();
    Set<String> base = Set.of("layer_0/kernel", "layer_0/bias", "layer_0/gamma", "layer_0/beta",
        "layer_1/kernel", "layer_1/bias", "layer_1/gamma", "layer_1/beta");
    PackedBaseWeights packed = BaseWeightPacking.pack(graph, base, List.of("y"), "packed_base").weights();
    Map<String, List<String>> groups = new LinkedHashMap<>();
    packed.groups().forEach(g -> groups.put(g.variable(), g.members()));
    assertEquals(Map.of(
        "packed_base/f32_4x4", List.of("layer_0/kernel", "layer_1/kernel"),
        "packed_base/f32_4", List.of("layer_0/bias", "layer_1/bias")), groups);
  }
}
