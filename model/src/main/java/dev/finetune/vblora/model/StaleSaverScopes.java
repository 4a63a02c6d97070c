package dev.finetune.vblora.model;

import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;

/**
 * Removes the python savers a graph carries besides the one its SaverDef names (TF Hub's BERT has save/,
 * save_1/ and save_2/; only save_2/ is the model's). They restore only the base variables, and TF-Java's
 * Graph.saverDef() would silently pick up a {@code save/} scope: a trap for anyone saving the adapted graph.
 */
final class StaleSaverScopes {
  private static final Pattern SAVER_SCOPE = Pattern.compile("save(_\\d+)?");

  private StaleSaverScopes() {}

  /**
   * The graph without top-level {@code save}/{@code save_N} scopes other than {@code keep}; unchanged when any
   * other node refers to a node in them.
   */
  static GraphDef drop(GraphDef graph, String keep) {
    Set<String> stale = new HashSet<>();
    for (NodeDef node : graph.getNodeList()) {
      String scope = topScope(node.getName());
      if (!scope.equals(keep) && SAVER_SCOPE.matcher(scope).matches() && node.getName().contains("/")) {
        stale.add(node.getName());
      }
    }
    if (stale.isEmpty()) {
      return graph;
    }
    GraphDef.Builder kept = graph.toBuilder().clearNode();
    for (NodeDef node : graph.getNodeList()) {
      if (stale.contains(node.getName())) {
        continue;
      }
      for (String input : node.getInputList()) {
        if (stale.contains(TensorName.parse(input).node())) {
          return graph; // something still uses that saver: leave the graph as it is
        }
      }
      kept.addNode(node);
    }
    return kept.build();
  }

  static String topScope(String name) {
    int slash = name.indexOf('/');
    return slash < 0 ? name : name.substring(0, slash);
  }
}
