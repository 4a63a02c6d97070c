package dev.finetune.vblora.model;

import java.util.LinkedHashMap;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.types.TFloat32;

/**
 * Stand-ins for base-graph tensors while the adapter is built in a graph of its own, and their removal when
 * the adapter's nodes join the base graph.
 *
 * <p>Why a graph of its own: TF-Java's withSubScope scans every operation of the graph, so building the
 * adapter's few hundred ops on BERT's 12k would cost seconds; here it costs milliseconds.
 */
final class AdapterInputs {
  private final Ops scope;
  private final Map<String, String> stands = new LinkedHashMap<>();

  AdapterInputs(Ops scope) {
    this.scope = scope;
  }

  /** A placeholder of {@code shape} that will read {@code tensor} of the base graph. */
  Operand<TFloat32> standIn(String tensor, Shape shape) {
    Placeholder<TFloat32> placeholder = scope.placeholder(TFloat32.class, Placeholder.shape(shape));
    stands.put(placeholder.op().name(), tensor);
    return placeholder;
  }

  /** The adapter's nodes without the stand-ins, reading the base tensors they stood for instead. */
  GraphDef resolve(GraphDef adapter) {
    GraphDef.Builder out = GraphDef.newBuilder();
    for (NodeDef node : adapter.getNodeList()) {
      if (stands.containsKey(node.getName())) {
        continue;
      }
      NodeDef.Builder edited = node.toBuilder();
      for (int i = 0; i < node.getInputCount(); i++) {
        TensorName input = TensorName.parse(node.getInput(i));
        String tensor = stands.get(input.node());
        if (tensor != null) {
          edited.setInput(i, input.control() ? "^" + TensorName.parse(tensor).node() : tensor);
        }
      }
      out.addNode(edited);
    }
    return out.build();
  }
}
