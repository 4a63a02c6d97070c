package dev.finetune.vblora.model;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;

/** Lookups over a GraphDef: nodes by name, data inputs, data consumers, reachability. */
final class NodeIndex {
  private final Map<String, NodeDef> nodes = new LinkedHashMap<>();
  private final Map<String, List<String>> consumers = new HashMap<>();

  NodeIndex(GraphDef graph) {
    for (NodeDef node : graph.getNodeList()) {
      nodes.put(node.getName(), node);
    }
    for (NodeDef node : graph.getNodeList()) {
      for (String input : node.getInputList()) {
        TensorName tensor = TensorName.parse(input);
        if (!tensor.control()) {
          consumers.computeIfAbsent(tensor.node(), k -> new ArrayList<>()).add(node.getName());
        }
      }
    }
  }

  NodeDef node(String name) {
    NodeDef node = nodes.get(name);
    if (node == null) {
      throw new VbLoraException("the graph has no node " + name);
    }
    return node;
  }

  boolean contains(String name) {
    return nodes.containsKey(name);
  }

  Collection<NodeDef> nodes() {
    return nodes.values();
  }

  /** The data input {@code i} of a node. */
  TensorName input(NodeDef node, int i) {
    int seen = 0;
    for (String input : node.getInputList()) {
      TensorName tensor = TensorName.parse(input);
      if (!tensor.control() && seen++ == i) {
        return tensor;
      }
    }
    throw new VbLoraException("node " + node.getName() + " has no data input " + i);
  }

  /**
   * The nodes a rewrite must keep as they are: {@code outputNodes} (read from outside the graph) and every node
   * another one waits for through a control edge.
   */
  Set<String> pinned(Collection<String> outputNodes) {
    Set<String> pinned = new HashSet<>(outputNodes);
    for (NodeDef node : nodes.values()) {
      node.getInputList().stream().map(TensorName::parse).filter(TensorName::control)
          .forEach(t -> pinned.add(t.node()));
    }
    return pinned;
  }

  /** Nodes that read a data output of {@code name}. */
  List<String> consumers(String name) {
    return consumers.getOrDefault(name, List.of());
  }

  /**
   * The nodes on a data path from one of {@code inputNodes} to one of {@code outputNodes}, both ends included (names
   * the graph lacks are skipped): what a signature's serving path computes from its inputs.
   */
  Set<String> dataPath(Collection<String> inputNodes, Collection<String> outputNodes) {
    Set<String> path = downstream(inputNodes.stream().filter(this::contains).toList());
    path.retainAll(upstream(outputNodes.stream().filter(this::contains).toList()));
    return path;
  }

  /** Every node a data path leads to from the given ones, themselves included. */
  Set<String> downstream(Collection<String> from) {
    return reach(from, this::consumers);
  }

  /** Every node with a data path to the given ones, themselves included. */
  Set<String> upstream(Collection<String> to) {
    return reach(to, name -> {
      List<String> inputs = new ArrayList<>();
      for (String input : node(name).getInputList()) {
        TensorName tensor = TensorName.parse(input);
        if (!tensor.control()) {
          inputs.add(tensor.node());
        }
      }
      return inputs;
    });
  }

  /** Every node with a data or control path to the given ones, themselves included (what running them runs). */
  Set<String> runClosure(Collection<String> to) {
    return reach(to, name -> node(name).getInputList().stream().map(i -> TensorName.parse(i).node()).toList());
  }

  private Set<String> reach(Collection<String> start, java.util.function.Function<String, List<String>> next) {
    Set<String> seen = new HashSet<>(start);
    Deque<String> work = new ArrayDeque<>(start);
    while (!work.isEmpty()) {
      for (String n : next.apply(work.pop())) {
        if (seen.add(n)) {
          work.push(n);
        }
      }
    }
    return seen;
  }
}
