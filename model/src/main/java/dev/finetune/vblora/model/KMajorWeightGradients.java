package dev.finetune.vblora.model;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.op.Ops;
import org.tensorflow.op.linalg.MatMul;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.types.TFloat32;

/**
 * Gives each merged-update product {@code y = x (W + delta)} a weight gradient that reads x transposed in memory:
 * {@code dW = (x^T) dy} with {@code x^T} a [in, rows] tensor of its own, instead of TensorFlow's {@code MatMul(x, dy,
 * transpose_a)}.
 *
 * <p>Why: both of TensorFlow's operands are reduced over their rows, the slow axis of a row-major [rows, features]
 * tensor. Hopper's TF32 tensor-core kernels need the reduction axis contiguous in the operand that XLA passes to
 * cuBLAS second (the product's first), and for float32 products with both operands the other way cuBLAS picks
 * Ampere-generation kernels: on the H200 a BERT-base q,v step ran each layer's merged [768, 1536] weight gradient in
 * a split-K {@code cutlass_80} kernel at ~140 TFLOP/s, where its forward products ran at 280-300 (docs/benchmarks.md,
 * issue 16). XLA folds a plain transpose back into the product's dimension numbers, so the transpose here goes
 * through an {@code XlaOptimizationBarrier}, which XLA keeps as written; the barrier compiles on demand outside XLA
 * clusters too.
 *
 * <p>How: the product's value is computed from StopGradients of x and of the merged weight, and goes through an
 * {@code IdentityN} marker that also reads x, the merged weight and a StopGradient of the barrier; the marker's gradient
 * ({@link MarkerGradients}) is the product's own, {@code dx = dy (W + delta)^T} and {@code dW = (x^T) dy}, reading
 * {@code x^T} from the barrier. The StopGradient keeps TensorFlow from differentiating the barrier, which has no
 * gradient; the gradient function reaches the barrier through its inputs, as it cannot look an op up by name (the
 * graph is locked while gradients are added). Where XLA compiles the step, nothing computes {@code x^T} unless a
 * gradient reads it. One
 * {@code x^T} serves every product of the same activation (a layer's query and value projections), so XLA can still
 * merge their weight gradients into one product. Forward values are unchanged: the same MatMul of the same tensors.
 *
 * <p>Only float32 products with neither operand transposed are rewritten; the others keep TensorFlow's gradient.
 * Reduced-precision products do not need this (16-bit tensor-core kernels read either layout).
 */
final class KMajorWeightGradients {
  /** The marker's name suffix. */
  static final String MARKER = "vblora_k_major_weight_gradient";

  private KMajorWeightGradients() {}

  /**
   * @param deltas the adapters' delta tensors ({@link AdaptedTarget#delta}): a product is rewritten when its weight
   *     is an addition that reads one of them
   * @return the graph with every such product rewritten; the same graph when there is none, or when this process
   *     cannot register the marker's gradient
   */
  static GraphDef rewrite(GraphDef graph, Collection<String> deltas) {
    NodeIndex index = new NodeIndex(graph);
    List<NodeDef> products = find(graph, index, deltas);
    if (products.isEmpty() || !MarkerGradients.registered()) {
      return graph;
    }
    Set<String> rewritten = new HashSet<>();
    products.forEach(p -> rewritten.add(p.getName()));
    Set<String> names = new HashSet<>();
    graph.getNodeList().forEach(n -> names.add(n.getName()));
    Map<TensorName, String> stopped = new HashMap<>();
    Map<TensorName, String> transposed = new HashMap<>();
    GraphDef.Builder out = graph.toBuilder().clearNode();
    for (NodeDef node : graph.getNodeList()) {
      if (!rewritten.contains(node.getName())) {
        out.addNode(node);
        continue;
      }
      TensorName x = TensorName.parse(node.getInput(0));
      TensorName weight = TensorName.parse(node.getInput(1));
      String base = node.getName() + "/" + MARKER;
      String stopX = stopped.computeIfAbsent(x, t -> stopGradient(out, names, node, t));
      String stopWeight = stopped.computeIfAbsent(weight, t -> stopGradient(out, names, node, t));
      String xT = transposed.computeIfAbsent(x, t -> transposeBehindBarrier(out, names, node, stopX));
      NodeDef.Builder value = node.toBuilder().setName(OpNames.unique(base + "/value", names)).clearInput()
          .addInput(stopX).addInput(stopWeight);
      node.getInputList().stream().filter(i -> i.startsWith("^")).forEach(value::addInput);
      out.addNode(value);
      String marker = OpNames.unique(base, names);
      AttrValue.ListValue.Builder types = AttrValue.ListValue.newBuilder();
      for (int i = 0; i < 4; i++) {
        types.addType(DataType.DT_FLOAT);
      }
      out.addNode(NodeDef.newBuilder().setName(marker).setOp("IdentityN").setDevice(node.getDevice())
          .addInput(value.getName()).addInput(x.toString()).addInput(weight.toString()).addInput(xT)
          .putAttr("T", AttrValue.newBuilder().setList(types).build()).build());
      out.addNode(NodeDef.newBuilder().setName(node.getName()).setOp("Identity").setDevice(node.getDevice())
          .addInput(marker + ":0").putAttr("T", floatType()).build());
    }
    return out.build();
  }

  /** The float32 MatMuls without transposes whose weight is an Add or AddV2 that reads one of {@code deltas}. */
  static List<NodeDef> find(GraphDef graph, NodeIndex index, Collection<String> deltas) {
    Set<TensorName> deltaTensors = new HashSet<>();
    deltas.forEach(d -> deltaTensors.add(TensorName.parse(d)));
    List<NodeDef> found = new ArrayList<>();
    for (NodeDef node : graph.getNodeList()) {
      if (!node.getOp().equals("MatMul") || node.getInputCount() < 2 || type(node) != DataType.DT_FLOAT
          || flag(node, "transpose_a") || flag(node, "transpose_b")) {
        continue;
      }
      TensorName weight = TensorName.parse(node.getInput(1));
      if (weight.index() != 0 || !index.contains(weight.node())) {
        continue;
      }
      NodeDef add = index.node(weight.node());
      if ((add.getOp().equals("Add") || add.getOp().equals("AddV2"))
          && add.getInputList().stream().map(TensorName::parse).anyMatch(deltaTensors::contains)) {
        found.add(node);
      }
    }
    return found;
  }

  private static String stopGradient(GraphDef.Builder out, Set<String> names, NodeDef product, TensorName tensor) {
    String name = OpNames.unique(product.getName() + "/" + MARKER + "/stop_gradient", names);
    out.addNode(NodeDef.newBuilder().setName(name).setOp("StopGradient").setDevice(product.getDevice())
        .addInput(tensor.toString()).putAttr("T", floatType()).build());
    return name;
  }

  /**
   * {@code x^T} through an XlaOptimizationBarrier, which XLA cannot fold back into the product that reads it; returns
   * a StopGradient of the barrier, the marker's fourth input.
   */
  private static String transposeBehindBarrier(GraphDef.Builder out, Set<String> names, NodeDef product,
      String stoppedX) {
    String scope = product.getName() + "/" + MARKER;
    String perm = OpNames.unique(scope + "/perm", names);
    out.addNode(IntConstant.vector(perm, DataType.DT_INT32, 1, 0).toBuilder().setDevice(product.getDevice()));
    String transpose = OpNames.unique(scope + "/transpose", names);
    out.addNode(NodeDef.newBuilder().setName(transpose).setOp("Transpose").setDevice(product.getDevice())
        .addInput(stoppedX).addInput(perm).putAttr("T", floatType())
        .putAttr("Tperm", AttrValue.newBuilder().setType(DataType.DT_INT32).build()).build());
    String barrier = OpNames.unique(scope + "/barrier", names);
    out.addNode(NodeDef.newBuilder().setName(barrier).setOp("XlaOptimizationBarrier").setDevice(product.getDevice())
        .addInput(transpose)
        .putAttr("T", AttrValue.newBuilder().setList(AttrValue.ListValue.newBuilder().addType(DataType.DT_FLOAT))
            .build())
        .build());
    String stopped = OpNames.unique(scope + "/barrier/stop_gradient", names);
    out.addNode(NodeDef.newBuilder().setName(stopped).setOp("StopGradient").setDevice(product.getDevice())
        .addInput(barrier).putAttr("T", floatType()).build());
    return stopped;
  }

  // ---- the marker's gradient ----

  /** The product's gradient: {@code dx = dy W^T}, {@code dW = (x^T) dy}; zeros for the value and x^T inputs. */
  static List<Operand<?>> gradient(Ops tf, GraphOperation op, List<Output<?>> grads) {
    Output<TFloat32> weight = op.input(2).expect(TFloat32.class);
    List<Operand<?>> out = new ArrayList<>();
    out.add(tf.zerosLike(op.input(0)));
    if (grads.get(0) == null) {
      out.add(tf.zerosLike(op.input(1)));
      out.add(tf.zerosLike(weight));
      out.add(tf.zerosLike(op.input(3)));
      return out;
    }
    // The marker's fourth input is StopGradient(barrier): the product reads the barrier's output itself.
    Output<TFloat32> xT = ((GraphOperation) op.input(3).op()).input(0).expect(TFloat32.class);
    Output<TFloat32> dy = grads.get(0).expect(TFloat32.class);
    out.add(tf.linalg.matMul(dy, weight, MatMul.transposeB(true)));
    out.add(tf.linalg.matMul(xT, dy));
    out.add(tf.zerosLike(op.input(3)));
    return out;
  }

  // ---- NodeDef helpers ----

  private static DataType type(NodeDef node) {
    AttrValue value = node.getAttrMap().get("T");
    return value == null ? DataType.DT_INVALID : value.getType();
  }

  private static boolean flag(NodeDef node, String attr) {
    AttrValue value = node.getAttrMap().get(attr);
    return value != null && value.getB();
  }

  private static AttrValue floatType() {
    return AttrValue.newBuilder().setType(DataType.DT_FLOAT).build();
  }
}
