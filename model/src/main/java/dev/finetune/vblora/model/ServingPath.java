package dev.finetune.vblora.model;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SignatureDef;

/**
 * A signature's serving path as one main graph (TF2 function calls inlined, see {@link GraphRewriter}), and the
 * tensors on it named the way a user sees them: a node of the graph, or a node inside the model's functions by
 * its name there (e.g. {@code functional_1/tf_op_layer_Squeeze/Squeeze}), which inlining prefixes with the call.
 */
public final class ServingPath {
  private ServingPath() {}

  /** The graph with the serving path inlined, and the signature re-pointed to it. */
  public record Inlined(GraphDef graph, SignatureDef signature) {}

  /**
   * The graph of {@code metaGraph}'s signature {@code signatureKey} with its serving path inlined when the graph
   * has functions (a TF2 export), else the graph as it is; the signature re-pointed to it.
   *
   * @throws IllegalArgumentException when there is no such signature (the message lists those there are)
   */
  public static Inlined of(MetaGraphDef metaGraph, String signatureKey) {
    SignatureDef signature = MetaGraphSignatures.require(metaGraph, signatureKey);
    GraphDef graph = metaGraph.getGraphDef();
    return graph.getLibrary().getFunctionCount() > 0 ? inline(graph, signature) : new Inlined(graph, signature);
  }

  /** {@code graph} with every function call between {@code signature}'s inputs and outputs inlined. */
  public static Inlined inline(GraphDef graph, SignatureDef signature) {
    ServingPathInliner.Inlined inlined = ServingPathInliner.inline(graph, signature);
    return new Inlined(inlined.graph(), inlined.signature());
  }

  /**
   * The tensor (node:index) that {@code name} (node or node:index) names among {@code nodes}: the node itself, or
   * the one node whose name ends with "/" + node (a function's node after inlining).
   *
   * @throws IllegalArgumentException when none or several nodes match
   */
  public static String tensor(Iterable<String> nodes, String name) {
    int colon = name.lastIndexOf(':');
    boolean indexed = colon > 0 && name.substring(colon + 1).chars().allMatch(Character::isDigit);
    String node = indexed ? name.substring(0, colon) : name;
    String index = indexed ? name.substring(colon + 1) : "0";
    List<String> matches = new ArrayList<>();
    for (String n : nodes) {
      if (n.equals(node)) {
        return n + ":" + index;
      }
      if (n.endsWith("/" + node)) {
        matches.add(n);
      }
    }
    if (matches.size() != 1) {
      throw new VbLoraException(matches.isEmpty()
          ? "no node of the serving path is named " + node + " (or ends with /" + node + ")"
          : "several nodes of the serving path end with /" + node + ": " + matches + "; name one in full");
    }
    return matches.get(0) + ":" + index;
  }
}
