package dev.finetune.vblora.model;

import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;

/**
 * Rewrites a GraphDef so that its data-path matrix products compute in bfloat16 ({@link GemmPrecision#BFLOAT16}).
 *
 * <p>TensorFlow's own mixed-precision rewrite (Grappler's auto_mixed_precision) offers only float16 on GPUs;
 * bfloat16 there is left to the graph's author, as Keras does with a dtype policy. This is that policy applied
 * to an exported graph: every float32 MatMul, BatchMatMul(V2, V3) and Einsum that one of the given input nodes
 * reaches gets Casts to bfloat16 on its data inputs, computes in bfloat16 (cuBLAS accumulates in float32) and is
 * followed by a Cast back to float32 that takes over the product's name, so every consumer, fetch and signature
 * reads what it read before, now a float32 tensor of bfloat16 precision.
 *
 * <p>Products that no input reaches, such as the adapter's delta (A B, formed from variables alone), stay float32:
 * their cost does not grow with the batch and their precision is the adapter's. Gradients built afterwards
 * (Graph.addGradients) differentiate the Casts, so the backward pass's products run in bfloat16 too.
 */
public final class Bfloat16Gemms {
  /** The product ops the policy covers; {@link Bfloat16Regions} finds the stretches between them. */
  static final List<String> PRODUCTS = List.of("MatMul", "BatchMatMul", "BatchMatMulV2", "BatchMatMulV3",
      "Einsum");

  private Bfloat16Gemms() {}

  /**
   * @param inputNodes the nodes the data path starts at (the signature's inputs)
   * @return the rewritten graph; the same graph when no product qualifies
   */
  public static GraphDef rewrite(GraphDef graph, Collection<String> inputNodes) {
    NodeIndex index = new NodeIndex(graph);
    Set<String> dataPath = index.downstream(inputNodes.stream().filter(index::contains).toList());
    Set<String> names = new HashSet<>();
    graph.getNodeList().forEach(n -> names.add(n.getName()));
    GraphDef.Builder out = graph.toBuilder().clearNode();
    for (NodeDef node : graph.getNodeList()) {
      if (!dataPath.contains(node.getName()) || !isFloat32Product(node)) {
        out.addNode(node);
        continue;
      }
      String product = OpNames.unique(node.getName() + "/bfloat16", names);
      NodeDef.Builder rewritten = node.toBuilder().setName(product).clearInput();
      int data = 0;
      for (String input : node.getInputList()) {
        if (TensorName.parse(input).control()) {
          rewritten.addInput(input);
          continue;
        }
        String cast = OpNames.unique(product + "/input_" + data++, names);
        out.addNode(NodeDefs.cast(cast, input, DataType.DT_FLOAT, DataType.DT_BFLOAT16, node.getDevice()));
        rewritten.addInput(cast);
      }
      for (String attr : typeAttrs(node)) {
        rewritten.putAttr(attr, AttrValue.newBuilder().setType(DataType.DT_BFLOAT16).build());
      }
      out.addNode(rewritten);
      out.addNode(NodeDefs.cast(node.getName(), product, DataType.DT_BFLOAT16, DataType.DT_FLOAT, node.getDevice()));
    }
    return out.build();
  }

  /** Whether {@code node} is a matrix product whose operands and result are all float32. */
  static boolean isFloat32Product(NodeDef node) {
    if (!PRODUCTS.contains(node.getOp())) {
      return false;
    }
    for (String attr : typeAttrs(node)) {
      AttrValue value = node.getAttrMap().get(attr);
      if (value == null || value.getType() != DataType.DT_FLOAT) {
        return false;
      }
    }
    return true;
  }

  /** The attributes that carry a product's element types. */
  static List<String> typeAttrs(NodeDef node) {
    return node.getOp().equals("BatchMatMulV3") ? List.of("Ta", "Tb", "Tout") : List.of("T");
  }

  /** Whether {@code node} is a Cast from {@code from} to {@code to}. */
  static boolean isCast(NodeDef node, DataType from, DataType to) {
    return node.getOp().equals("Cast")
        && node.getAttrOrDefault("SrcT", AttrValue.getDefaultInstance()).getType() == from
        && node.getAttrOrDefault("DstT", AttrValue.getDefaultInstance()).getType() == to;
  }
}
