package dev.finetune.vblora.model;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;

/**
 * Keeps in bfloat16 what runs between two bfloat16 products: after {@link Bfloat16Gemms} a product's result is cast
 * back to float32, goes through element-wise and shape ops (a bias add, GELU, a reshape and transpose into heads)
 * and is cast to bfloat16 again for the next product. Those float32 activations are most of the memory traffic of
 * a bfloat16 step's small kernels (docs/benchmarks.md, issue 16). Here such a stretch computes in bfloat16, as
 * PyTorch's autocast runs element-wise ops in their inputs' type: the cast after the first product and the cast
 * before the next one become identities, the stretch's ops take bfloat16, and the float32 values it reads from
 * outside (biases, constants) are cast once at its edge.
 *
 * <p>A stretch is rewritten only when it is closed: every op in it is one of {@link #ELEMENT_WISE} or
 * {@link #SHAPE} on float32, and every reader of every op in it is in it or is a cast to bfloat16 that feeds
 * products only. A stretch that reaches anything else (a LayerNorm, a residual add read elsewhere, a softmax, a
 * fetch, the loss, a signature output) stays float32 whole. Gradients built afterwards differentiate the
 * bfloat16 ops, so the backward pass of a stretch runs in bfloat16 too.
 */
public final class Bfloat16Regions {
  /** Element-wise ops whose inputs are all of type T. */
  static final Set<String> ELEMENT_WISE = Set.of("Add", "AddV2", "BiasAdd", "Sub", "Mul", "RealDiv", "Pow",
      "Tanh", "Erf", "Sigmoid", "Relu", "Square", "Neg", "Identity");
  /** Shape ops whose first input only is of type T. */
  static final Set<String> SHAPE = Set.of("Reshape", "Transpose", "ExpandDims", "Squeeze");

  private Bfloat16Regions() {}

  /** One closed stretch: the casts that open and close it and the ops between. */
  record Region(Set<String> opens, Set<String> ops, Set<String> closes) {}

  /**
   * @param outputNodes nodes read from outside the graph (the signature's outputs): a stretch that holds one stays
   *     float32, so every fetch keeps its type
   * @return the graph with every closed stretch in bfloat16; the same graph when none is found
   */
  public static GraphDef rewrite(GraphDef graph, Collection<String> outputNodes) {
    NodeIndex index = new NodeIndex(graph);
    List<Region> regions = find(index, outputNodes);
    if (regions.isEmpty()) {
      return graph;
    }
    Set<String> opens = new HashSet<>();
    Set<String> ops = new HashSet<>();
    Set<String> closes = new HashSet<>();
    regions.forEach(r -> {
      opens.addAll(r.opens());
      ops.addAll(r.ops());
      closes.addAll(r.closes());
    });
    Set<String> names = new HashSet<>();
    graph.getNodeList().forEach(n -> names.add(n.getName()));
    Map<String, String> edgeCasts = new HashMap<>();
    GraphDef.Builder out = graph.toBuilder().clearNode();
    for (NodeDef node : graph.getNodeList()) {
      if (opens.contains(node.getName()) || closes.contains(node.getName())) {
        out.addNode(identity(node, DataType.DT_BFLOAT16));
      } else if (ops.contains(node.getName())) {
        NodeDef.Builder rewritten = node.toBuilder().clearInput()
            .putAttr("T", AttrValue.newBuilder().setType(DataType.DT_BFLOAT16).build());
        int data = 0;
        for (String input : node.getInputList()) {
          TensorName tensor = TensorName.parse(input);
          boolean typed = !tensor.control() && (ELEMENT_WISE.contains(node.getOp()) || data == 0);
          if (!tensor.control()) {
            data++;
          }
          boolean inside = ops.contains(tensor.node()) || opens.contains(tensor.node());
          if (!typed || inside) {
            rewritten.addInput(input);
            continue;
          }
          String key = tensor.toString();
          String cast = edgeCasts.get(key);
          if (cast == null) {
            cast = OpNames.unique(tensor.node() + "/bfloat16_" + tensor.index(), names);
            edgeCasts.put(key, cast);
            out.addNode(NodeDefs.cast(cast, input, DataType.DT_FLOAT, DataType.DT_BFLOAT16,
                index.node(tensor.node()).getDevice()));
          }
          rewritten.addInput(cast);
        }
        out.addNode(rewritten.build());
      } else {
        out.addNode(node);
      }
    }
    return out.build();
  }

  /** The closed stretches of {@code graph}, each grown from the casts after bfloat16 products. */
  static List<Region> find(GraphDef graph, Collection<String> outputNodes) {
    return find(new NodeIndex(graph), outputNodes);
  }

  private static List<Region> find(NodeIndex index, Collection<String> outputNodes) {
    Set<String> outputs = Set.copyOf(outputNodes);
    Set<String> claimed = new HashSet<>();
    List<Region> regions = new ArrayList<>();
    for (NodeDef node : index.nodes()) {
      if (!claimed.contains(node.getName()) && opens(index, node)) {
        Region region = grow(index, node.getName(), outputs);
        if (region != null) {
          regions.add(region);
          claimed.addAll(region.opens());
        }
      }
    }
    return regions;
  }

  /** Grows a stretch from one opening cast; null when it is not closed. */
  private static Region grow(NodeIndex index, String start, Set<String> outputs) {
    Set<String> opens = new LinkedHashSet<>(List.of(start));
    Set<String> ops = new LinkedHashSet<>();
    Set<String> closes = new LinkedHashSet<>();
    Deque<String> pending = new ArrayDeque<>(List.of(start));
    while (!pending.isEmpty()) {
      String name = pending.pop();
      for (String reader : index.consumers(name)) {
        NodeDef node = index.node(reader);
        if (ops.contains(reader) || closes.contains(reader)) {
          continue;
        }
        if (closes(index, node)) {
          closes.add(reader);
        } else if (isFloatOp(node) && !outputs.contains(reader) && !index.consumers(reader).isEmpty()) {
          ops.add(reader);
          pending.push(reader);
          // An op in the stretch may read another product's result: that cast opens the same stretch.
          for (int i = 0; i < node.getInputCount(); i++) {
            TensorName input = TensorName.parse(node.getInput(i));
            if (!input.control() && !opens.contains(input.node()) && opens(index, index.node(input.node()))) {
              opens.add(input.node());
              pending.push(input.node());
            }
          }
        } else {
          return null;
        }
      }
    }
    // An opening cast carries its product's name: a fetched product stays float32, and with it its stretch.
    return closes.isEmpty() || opens.stream().anyMatch(outputs::contains) ? null : new Region(opens, ops, closes);
  }

  /** A cast of a bfloat16 product's result back to float32. */
  private static boolean opens(NodeIndex index, NodeDef node) {
    if (!Bfloat16Gemms.isCast(node, DataType.DT_BFLOAT16, DataType.DT_FLOAT)) {
      return false;
    }
    NodeDef product = index.node(TensorName.parse(node.getInput(0)).node());
    return Bfloat16Gemms.PRODUCTS.contains(product.getOp()) && typeOf(product) == DataType.DT_BFLOAT16;
  }

  /** A cast to bfloat16 that only products read. */
  private static boolean closes(NodeIndex index, NodeDef node) {
    if (!Bfloat16Gemms.isCast(node, DataType.DT_FLOAT, DataType.DT_BFLOAT16)) {
      return false;
    }
    List<String> readers = index.consumers(node.getName());
    return !readers.isEmpty()
        && readers.stream().allMatch(r -> Bfloat16Gemms.PRODUCTS.contains(index.node(r).getOp()));
  }

  private static boolean isFloatOp(NodeDef node) {
    return (ELEMENT_WISE.contains(node.getOp()) || SHAPE.contains(node.getOp()))
        && node.getAttrMap().containsKey("T") && node.getAttrOrThrow("T").getType() == DataType.DT_FLOAT;
  }

  /** The element type of a product's first operand. */
  private static DataType typeOf(NodeDef product) {
    AttrValue value = product.getAttrMap().get(Bfloat16Gemms.typeAttrs(product).get(0));
    return value == null ? DataType.DT_INVALID : value.getType();
  }

  /** The cast as an Identity of its input, same name and device. */
  private static NodeDef identity(NodeDef cast, DataType type) {
    return NodeDef.newBuilder().setName(cast.getName()).setOp("Identity").setDevice(cast.getDevice())
        .addAllInput(cast.getInputList())
        .putAttr("T", AttrValue.newBuilder().setType(type).build())
        .build();
  }
}
