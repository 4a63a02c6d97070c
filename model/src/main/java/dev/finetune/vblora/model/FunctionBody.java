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
import java.util.Optional;
import java.util.Set;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.OpDef;

/**
 * Lookups over a FunctionDef's body. Inside functions a node input names either a function argument
 * ({@code input_28}) or a node output ({@code node:output_arg:index}); arguments count as sources here.
 */
final class FunctionBody {
  private final FunctionDef function;
  private final Map<String, NodeDef> nodes = new LinkedHashMap<>();
  private final Map<String, List<String>> consumers = new HashMap<>();
  private final Set<String> args = new HashSet<>();

  FunctionBody(FunctionDef function) {
    this.function = function;
    function.getSignature().getInputArgList().forEach(a -> args.add(a.getName()));
    for (NodeDef node : function.getNodeDefList()) {
      nodes.put(node.getName(), node);
    }
    for (NodeDef node : function.getNodeDefList()) {
      for (String input : node.getInputList()) {
        if (!input.startsWith("^")) {
          consumers.computeIfAbsent(source(input), k -> new ArrayList<>()).add(node.getName());
        }
      }
    }
  }

  String name() {
    return function.getSignature().getName();
  }

  Collection<NodeDef> nodes() {
    return nodes.values();
  }

  /** The argument or node a data input reads. */
  static String source(String input) {
    int colon = input.indexOf(':');
    return colon < 0 ? input : input.substring(0, colon);
  }

  /** The i-th data input of a node, as written. */
  static String input(NodeDef node, int i) {
    int seen = 0;
    for (String input : node.getInputList()) {
      if (!input.startsWith("^") && seen++ == i) {
        return input;
      }
    }
    throw new VbLoraException("node " + node.getName() + " has no data input " + i);
  }

  /** The data inputs of a node, as written. */
  static List<String> inputs(NodeDef node) {
    List<String> inputs = new ArrayList<>();
    node.getInputList().stream().filter(i -> !i.startsWith("^")).forEach(inputs::add);
    return inputs;
  }

  boolean isArg(String name) {
    return args.contains(name);
  }

  Optional<NodeDef> node(String name) {
    return Optional.ofNullable(nodes.get(name));
  }

  /** Argument names of a type, in signature order. */
  List<String> args(DataType type) {
    List<String> names = new ArrayList<>();
    for (OpDef.ArgDef arg : function.getSignature().getInputArgList()) {
      if (arg.getType() == type) {
        names.add(arg.getName());
      }
    }
    return names;
  }

  /** Argument names in signature order. */
  List<String> argNames() {
    List<String> names = new ArrayList<>();
    function.getSignature().getInputArgList().forEach(a -> names.add(a.getName()));
    return names;
  }

  /** The nodes the function's return values are computed from. */
  Set<String> upstreamOfReturns() {
    Deque<String> work = new ArrayDeque<>();
    function.getRetMap().values().forEach(r -> work.add(source(r)));
    Set<String> seen = new HashSet<>(work);
    while (!work.isEmpty()) {
      NodeDef node = nodes.get(work.pop());
      if (node == null) {
        continue; // an argument
      }
      for (String input : inputs(node)) {
        if (seen.add(source(input))) {
          work.push(source(input));
        }
      }
    }
    return seen;
  }

  /** Nodes a data path leads to from the given nodes or arguments, themselves included. */
  Set<String> downstream(Collection<String> from) {
    Set<String> seen = new HashSet<>(from);
    Deque<String> work = new ArrayDeque<>(from);
    while (!work.isEmpty()) {
      for (String next : consumers.getOrDefault(work.pop(), List.of())) {
        if (seen.add(next)) {
          work.push(next);
        }
      }
    }
    return seen;
  }
}
