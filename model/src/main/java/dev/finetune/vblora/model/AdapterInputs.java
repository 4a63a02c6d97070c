package dev.finetune.vblora.model;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
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
  /** Stand-ins for an adapted product's input, which read the adapted tensor where that input was adapted too. */
  private final Set<String> activations = new HashSet<>();

  AdapterInputs(Ops scope) {
    this.scope = scope;
  }

  /** A placeholder of {@code shape} that will read {@code tensor} of the base graph. */
  Operand<TFloat32> standIn(String tensor, Shape shape) {
    Placeholder<TFloat32> placeholder = scope.placeholder(TFloat32.class, Placeholder.shape(shape));
    stands.put(placeholder.op().name(), tensor);
    return placeholder;
  }

  /**
   * A stand-in for the input of an adapted product: as {@link #standIn}, except that when {@code tensor} is itself
   * the output of an adapted product (two products in a row, with nothing between them), it reads that product's
   * adapted output, as the original consumers do after {@link ConsumerRewiring}. The frozen output an adapter adds
   * its update to ({@link #standIn}) keeps reading the base tensor.
   */
  Operand<TFloat32> activation(String tensor, Shape shape) {
    Operand<TFloat32> placeholder = standIn(tensor, shape);
    activations.add(placeholder.op().name());
    return placeholder;
  }

  /**
   * The adapter's nodes without the stand-ins, reading the base tensors they stood for instead; an {@link
   * #activation} stand-in for output 0 of a node in {@code replacements} (adapted node to the tensor now standing
   * for its output 0) reads the replacement.
   */
  GraphDef resolve(GraphDef adapter, Map<String, String> replacements) {
    GraphDef.Builder out = GraphDef.newBuilder();
    for (NodeDef node : adapter.getNodeList()) {
      if (stands.containsKey(node.getName())) {
        continue;
      }
      NodeDef.Builder edited = node.toBuilder();
      for (int i = 0; i < node.getInputCount(); i++) {
        TensorName input = TensorName.parse(node.getInput(i));
        String tensor = stands.get(input.node());
        if (tensor != null && activations.contains(input.node())) {
          TensorName read = TensorName.parse(tensor);
          String adapted = read.index() == 0 ? replacements.get(read.node()) : null;
          tensor = adapted != null ? adapted : tensor;
        }
        if (tensor != null) {
          edited.setInput(i, input.control() ? "^" + TensorName.parse(tensor).node() : tensor);
        }
      }
      out.addNode(edited);
    }
    return out.build();
  }
}
