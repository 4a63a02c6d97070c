package dev.finetune.vblora.model;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;

/**
 * What a text model's integer inputs do, seen from where they flow on the serving path: token ids index a large
 * embedding table (a gather of a vocabulary-sized variable), type ids a small one (at most {@value #TYPE_TABLE_ROWS}
 * rows, or a one-hot of such a depth), and a mask indexes no table at all. Lets a trainer tell apart inputs whose
 * names follow no convention (Keras' input_13, input_14).
 */
public final class InputFlow {
  /** Type-id tables have a handful of rows (BERT: 2); vocabularies have thousands. */
  static final int TYPE_TABLE_ROWS = 16;
  private static final Set<String> GATHERS = Set.of("GatherV2", "ResourceGather", "Gather");
  private static final Set<String> PASS = Set.of("Identity", "Cast", "Reshape", "ExpandDims", "Squeeze");
  private static final int MAX_VISITS = 10_000;

  /** What an input appears to carry. */
  public enum Kind { IDS, TYPES, MASK }

  private InputFlow() {}

  /** Per signature input key, what it appears to carry, judged by what its values index. */
  public static Map<String, Kind> of(MetaGraphDef metaGraph, String signatureKey) {
    ServingPath.Inlined path = ServingPath.of(metaGraph, signatureKey);
    SignatureDef signature = path.signature();
    GraphDef graph = path.graph();
    NodeIndex index = new NodeIndex(graph);
    Map<String, Kind> kinds = new LinkedHashMap<>();
    for (Map.Entry<String, TensorInfo> input : signature.getInputsMap().entrySet()) {
      kinds.put(input.getKey(), kindOf(index, TensorName.parse(input.getValue().getName()).node()));
    }
    return kinds;
  }

  /** Follows the input's values through casts and reshapes to the tables they index, if any. */
  private static Kind kindOf(NodeIndex index, String input) {
    Deque<String> todo = new ArrayDeque<>();
    Set<String> seen = new HashSet<>();
    todo.add(input);
    long smallest = Long.MAX_VALUE;
    while (!todo.isEmpty() && seen.size() < MAX_VISITS) {
      String name = todo.poll();
      if (!seen.add(name)) {
        continue;
      }
      for (String consumer : index.consumers(name)) {
        NodeDef node = index.node(consumer);
        if (GATHERS.contains(node.getOp()) && node.getInputCount() > 1
            && TensorName.parse(node.getInput(1)).node().equals(name)) {
          smallest = Math.min(smallest, tableRows(index, TensorName.parse(node.getInput(0)).node()));
        } else if (node.getOp().equals("OneHot") && TensorName.parse(node.getInput(0)).node().equals(name)) {
          smallest = Math.min(smallest, constantScalar(index, TensorName.parse(node.getInput(1)).node()));
        } else if (PASS.contains(node.getOp())) {
          todo.add(consumer);
        }
      }
    }
    if (smallest == Long.MAX_VALUE) {
      return Kind.MASK;
    }
    return smallest <= TYPE_TABLE_ROWS ? Kind.TYPES : Kind.IDS;
  }

  /** Rows of the table a gather reads: the variable's declared shape, through reads and identities. */
  private static long tableRows(NodeIndex index, String node) {
    for (int hop = 0; hop < 32 && index.contains(node); hop++) {
      NodeDef def = index.node(node);
      AttrValue shape = def.getAttrMap().get("shape");
      if ((def.getOp().equals("VarHandleOp") || def.getOp().equals("VariableV2") || def.getOp().equals("Const"))
          && shape != null && shape.getShape().getDimCount() > 0) {
        return shape.getShape().getDim(0).getSize();
      }
      if (def.getOp().equals("Const") && def.getAttrMap().containsKey("value")) {
        var dims = def.getAttrMap().get("value").getTensor().getTensorShape();
        return dims.getDimCount() > 0 ? dims.getDim(0).getSize() : Long.MAX_VALUE - 1;
      }
      if (def.getInputCount() == 0) {
        break;
      }
      node = TensorName.parse(def.getInput(0)).node();
    }
    return Long.MAX_VALUE - 1; // a table of unknown size: take it for a vocabulary
  }

  private static long constantScalar(NodeDef node) {
    var tensor = node.getAttrMap().get("value").getTensor();
    return tensor.getIntValCount() > 0 ? tensor.getIntVal(0) : Long.MAX_VALUE - 1;
  }

  private static long constantScalar(NodeIndex index, String node) {
    NodeDef def = index.contains(node) ? index.node(node) : null;
    return def != null && def.getOp().equals("Const") && def.getAttrMap().containsKey("value")
        ? constantScalar(def) : Long.MAX_VALUE - 1;
  }
}
