package dev.finetune.vblora.model;

import java.util.Map;
import java.util.Set;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;

/**
 * Points the original consumers of each adapted op's output at the adapted tensor instead, leaving the
 * adapter's own nodes (which read the base output) alone.
 */
final class ConsumerRewiring {
  private ConsumerRewiring() {}

  /**
   * @param original names of the nodes that were in the graph before the adapter was added
   * @param replacements op node name to the tensor that now stands in for its output 0
   */
  static GraphDef rewire(GraphDef graph, Set<String> original, Map<String, String> replacements) {
    GraphDef.Builder out = graph.toBuilder();
    for (int i = 0; i < out.getNodeCount(); i++) {
      NodeDef node = out.getNode(i);
      if (!original.contains(node.getName())) {
        continue;
      }
      NodeDef.Builder edited = null;
      for (int j = 0; j < node.getInputCount(); j++) {
        TensorName input = TensorName.parse(node.getInput(j));
        String replacement = replacements.get(input.node());
        if (replacement != null && !input.control() && input.index() == 0) {
          if (edited == null) {
            edited = node.toBuilder();
          }
          edited.setInput(j, replacement);
        }
      }
      if (edited != null) {
        out.setNode(i, edited);
      }
    }
    return out.build();
  }
}
