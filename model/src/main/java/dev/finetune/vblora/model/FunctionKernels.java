package dev.finetune.vblora.model;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.FunctionDefLibrary;
import org.tensorflow.proto.NodeDef;

/**
 * Finds kernels inside the functions a TF2 (Keras) export serves through: the main graph holds the variables
 * and a call op; the matmuls live in FunctionDefs, reading DT_RESOURCE arguments bound by position along the
 * call chain (signature wrapper -> wrapped model -> nested layer calls).
 */
final class FunctionKernels {
  static final Set<String> CALLS = Set.of("StatefulPartitionedCall", "PartitionedCall");
  private static final Set<String> PASS_THROUGH = Set.of("ReadVariableOp", "Identity");

  /** A matmul-like use found in a function, with the variable its weight input is bound to. */
  record Found(String variable, NodeDef op, int weightInput, String function, FunctionBody body) {}

  private final Map<String, FunctionDef> library = new HashMap<>();
  private final Map<String, FunctionBody> bodies = new HashMap<>();
  private final List<Found> found = new ArrayList<>();
  private final Set<String> visiting = new HashSet<>();

  private FunctionKernels(FunctionDefLibrary library) {
    library.getFunctionList().forEach(f -> this.library.put(f.getSignature().getName(), f));
  }

  /**
   * The matmul-like uses in the function a main-graph call op runs (and the functions it calls).
   *
   * @param boundVariables per data input of the call, the variable it carries, if any
   */
  static List<Found> inCall(FunctionDefLibrary library, NodeDef call, List<Optional<String>> boundVariables) {
    FunctionKernels search = new FunctionKernels(library);
    search.walk(call.getAttrOrThrow("f").getFunc().getName(), boundVariables);
    return search.found;
  }

  private void walk(String functionName, List<Optional<String>> bound) {
    FunctionDef function = library.get(functionName);
    if (function == null || !visiting.add(functionName)) {
      return; // not in the library (a primitive op), or recursion
    }
    FunctionBody body = bodies.computeIfAbsent(functionName, n -> new FunctionBody(function));
    Map<String, String> variables = new HashMap<>();
    List<String> argNames = body.argNames();
    for (int i = 0; i < argNames.size() && i < bound.size(); i++) {
      String arg = argNames.get(i);
      bound.get(i).ifPresent(v -> variables.put(arg, v));
    }
    List<String> dataArgs = new ArrayList<>(body.argNames());
    dataArgs.removeAll(body.args(DataType.DT_RESOURCE));
    Set<String> path = body.downstream(dataArgs);
    path.retainAll(body.upstreamOfReturns());

    for (NodeDef node : body.nodes()) {
      if (!path.contains(node.getName())) {
        continue;
      }
      if (CALLS.contains(node.getOp())) {
        List<Optional<String>> inner = new ArrayList<>();
        FunctionBody.inputs(node).forEach(input -> inner.add(trace(body, input, variables)));
        walk(node.getAttrOrThrow("f").getFunc().getName(), inner);
      } else if (KernelDiscovery.MATMULS.contains(node.getOp()) || node.getOp().equals("Einsum")) {
        matmul(body, node, variables);
      }
    }
    visiting.remove(functionName);
  }

  private void matmul(FunctionBody body, NodeDef node, Map<String, String> variables) {
    List<String> inputs = FunctionBody.inputs(node);
    if (inputs.size() != 2) {
      return;
    }
    Optional<String> first = trace(body, inputs.get(0), variables);
    Optional<String> second = trace(body, inputs.get(1), variables);
    boolean einsum = node.getOp().equals("Einsum");
    if (second.isPresent() && first.isEmpty() && !oneHot(body, inputs.get(0))) {
      found.add(new Found(second.get(), node, 1, body.name(), body));
    } else if (einsum && first.isPresent() && second.isEmpty()) {
      found.add(new Found(first.get(), node, 0, body.name(), body));
    }
  }

  private static boolean oneHot(FunctionBody body, String input) {
    return body.node(FunctionBody.source(input)).map(n -> n.getOp().equals("OneHot")).orElse(false);
  }

  /** The variable a tensor reads, through ReadVariableOp / Identity to a bound argument. */
  private static Optional<String> trace(FunctionBody body, String input, Map<String, String> variables) {
    String current = input;
    for (int steps = 0; steps < 64; steps++) {
      String source = FunctionBody.source(current);
      if (body.isArg(source)) {
        return Optional.ofNullable(variables.get(source));
      }
      Optional<NodeDef> node = body.node(source);
      if (node.isEmpty() || !PASS_THROUGH.contains(node.get().getOp())) {
        return Optional.empty();
      }
      current = FunctionBody.input(node.get(), 0);
    }
    return Optional.empty();
  }
}
