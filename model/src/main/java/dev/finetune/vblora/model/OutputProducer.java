package dev.finetune.vblora.model;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.HashSet;
import java.util.Set;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;

/**
 * The op that computes a signature output, seen through the wrappers around it: Identity nodes and, in TF2
 * exports, the function calls of the serving path (inlined as {@link GraphRewriter} inlines them). A trainer
 * reads it to pick the loss that fits the model's own output: Softmax (probabilities), Sigmoid, or anything else
 * (a linear layer: logits or values).
 */
public final class OutputProducer {
  private static final int MAX_HOPS = 64;
  private static final Set<String> PASS_THROUGH = Set.of("Identity", "IdentityN", "StopGradient", "Snapshot");

  private OutputProducer() {}

  /**
   * The producing node of output {@code outputKey} of signature {@code signatureKey}.
   *
   * @throws IllegalArgumentException when the signature or the output does not exist
   */
  public static NodeDef of(MetaGraphDef metaGraph, String signatureKey, String outputKey) {
    ServingPath.Inlined path = ServingPath.of(metaGraph, signatureKey);
    SignatureDef signature = path.signature();
    if (!signature.getOutputsMap().containsKey(outputKey)) {
      throw new VbLoraException("signature '" + signatureKey + "' has no output '" + outputKey
          + "'; its outputs are " + signature.getOutputsMap().keySet());
    }
    GraphDef graph = path.graph();
    NodeIndex index = new NodeIndex(graph);
    TensorInfo info = signature.getOutputsMap().get(outputKey);
    TensorName tensor = TensorName.parse(info.getName());
    NodeDef node = index.node(tensor.node());
    for (int hop = 0; hop < MAX_HOPS && isPassThrough(node, tensor.index()); hop++) {
      // IdentityN hands input i out as output i; the others have one input.
      tensor = TensorName.parse(node.getInput(node.getOp().equals("IdentityN") ? tensor.index() : 0));
      node = index.node(tensor.node());
    }
    return node;
  }

  /** The op type of {@link #of}, e.g. "Softmax", "Sigmoid", "BiasAdd". */
  public static String opOf(MetaGraphDef metaGraph, String signatureKey, String outputKey) {
    return of(metaGraph, signatureKey, outputKey).getOp();
  }

  /**
   * Every op that computes one of {@code outputNodes} seen through the same wrappers: the output nodes themselves
   * when they compute, else what their pass-through chains read (all inputs of an IdentityN, as the tensor index is
   * not known from a node name).
   */
  static Set<String> ofNodes(NodeIndex index, Collection<String> outputNodes) {
    Set<String> producers = new HashSet<>();
    Set<String> seen = new HashSet<>();
    Deque<String> work = new ArrayDeque<>(outputNodes.stream().filter(index::contains).toList());
    while (!work.isEmpty()) {
      String name = work.pop();
      if (!seen.add(name)) {
        continue;
      }
      NodeDef node = index.node(name);
      if (!PASS_THROUGH.contains(node.getOp()) || node.getInputCount() == 0) {
        producers.add(name);
        continue;
      }
      node.getInputList().stream().map(TensorName::parse).filter(t -> !t.control())
          .forEach(t -> work.push(t.node()));
    }
    return producers;
  }

  private static boolean isPassThrough(NodeDef node, int output) {
    return PASS_THROUGH.contains(node.getOp()) && node.getInputCount() > output;
  }
}
