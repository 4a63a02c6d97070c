package dev.finetune.vblora.model;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;

/**
 * Finds the adaptable kernels of a graph: every MatMul / BatchMatMul / Einsum on the path from a
 * signature's inputs to its outputs whose weight input is read from a variable. TF1 graphs apply kernels
 * in the main graph; TF2 (Keras) exports inside the functions the serving call runs ({@link FunctionKernels}).
 *
 * <p>The test is structural on purpose: names and op types alone would also catch copies of the network
 * that serving never runs (TF Hub exports hold several), optimizer slots with kernel shapes, and
 * activation-by-activation products such as attention scores.
 */
public final class KernelDiscovery {
  static final Set<String> MATMULS = Set.of("MatMul", "BatchMatMul", "BatchMatMulV2", "BatchMatMulV3");
  private static final Set<String> VARIABLES = Set.of("VarHandleOp", "VariableV2", "Variable");
  /** Ops that pass a weight through unchanged between the variable and the matmul. */
  private static final Set<String> PASS_THROUGH = Set.of("ReadVariableOp", "Identity", "Snapshot");
  /**
   * layer_3 (TF1, Model Garden's transformer/layer_3), layer_._3 (Hugging Face TF), layers.3, blocks_3, h.3,
   * _transformer_layers/3 (Keras object-graph paths): the layer index PEFT's layers_to_transform refers to.
   * ALBERT's shared layer (layer_shared, albert_layers_._0 of a group used at every depth) has none.
   */
  private static final Pattern LAYER = Pattern.compile("(?:^|/)(?:(?:layer|layers|block|blocks)(?:_\\._|[_.])?"
      + "|h(?:_\\._|[_.])|\\w*(?:layers|blocks)/)(\\d+)(?=/|$)");

  private KernelDiscovery() {}

  /** The kernels on the path of signature {@code signatureKey} of a meta graph. */
  public static List<Kernel> discover(MetaGraphDef metaGraph, String signatureKey) {
    SignatureDef signature = MetaGraphSignatures.require(metaGraph, signatureKey);
    return discover(metaGraph.getGraphDef(), signature);
  }

  /** The kernels on the path from {@code signature}'s inputs to its outputs in {@code graph}. */
  public static List<Kernel> discover(GraphDef graph, SignatureDef signature) {
    NodeIndex index = new NodeIndex(graph);
    Set<String> fromInputs = index.downstream(nodesOf(signature.getInputsMap()));
    Set<String> servingPath = new HashSet<>(index.upstream(nodesOf(signature.getOutputsMap())));
    servingPath.retainAll(fromInputs);

    Map<String, List<KernelUse>> usesByVariable = new LinkedHashMap<>();
    Map<String, NodeDef> variables = new HashMap<>();
    List<FunctionKernels.Found> inFunctions = new ArrayList<>();
    for (NodeDef node : index.nodes()) {
      if (!servingPath.contains(node.getName())) {
        continue;
      }
      if (MATMULS.contains(node.getOp())) {
        Optional<NodeDef> variable = traceToVariable(index, index.input(node, 1).node());
        NodeDef activation = index.node(index.input(node, 0).node());
        // A one-hot times a table is an embedding lookup, not a linear layer; and a variable in both inputs
        // (or none) is no Dense kernel.
        if (variable.isEmpty() || activation.getOp().equals("OneHot")
            || traceToVariable(index, activation.getName()).isPresent()) {
          continue;
        }
        String name = variableName(variable.get());
        variables.putIfAbsent(name, variable.get());
        usesByVariable.computeIfAbsent(name, k -> new ArrayList<>()).add(matmulUse(node, ""));
      } else if (node.getOp().equals("Einsum") && node.getInputCount() >= 2) {
        // Main-graph Einsums: TF1 graphs rarely have them, TF2 ones once their serving path is inlined.
        Optional<NodeDef> second = traceToVariable(index, index.input(node, 1).node());
        Optional<NodeDef> first = traceToVariable(index, index.input(node, 0).node());
        if (second.isPresent() == first.isPresent()) {
          continue;
        }
        NodeDef variable = second.orElseGet(first::get);
        String name = variableName(variable);
        variables.putIfAbsent(name, variable);
        usesByVariable.computeIfAbsent(name, k -> new ArrayList<>()).add(new KernelUse(node.getName(), "Einsum",
            second.isPresent() ? 1 : 0, false, false, node.getAttrOrThrow("equation").getS().toStringUtf8(), ""));
      } else if (FunctionKernels.CALLS.contains(node.getOp())) {
        List<Optional<String>> bound = new ArrayList<>();
        for (String input : node.getInputList()) {
          TensorName tensor = TensorName.parse(input);
          if (!tensor.control()) {
            Optional<NodeDef> variable = traceToVariable(index, tensor.node());
            variable.ifPresent(v -> variables.putIfAbsent(variableName(v), v));
            bound.add(variable.map(KernelDiscovery::variableName));
          }
        }
        inFunctions.addAll(FunctionKernels.inCall(graph.getLibrary(), node, bound));
      }
    }
    Map<String, FunctionBody> bodies = new HashMap<>();
    for (FunctionKernels.Found f : inFunctions) {
      bodies.putIfAbsent(f.function(), f.body());
      usesByVariable.computeIfAbsent(f.variable(), k -> new ArrayList<>()).add(f.op().getOp().equals("Einsum")
          ? new KernelUse(f.op().getName(), "Einsum", f.weightInput(), false, false,
              f.op().getAttrOrThrow("equation").getS().toStringUtf8(), f.function())
          : matmulUse(f.op(), f.function()));
    }
    List<Kernel> kernels = new ArrayList<>();
    usesByVariable.forEach((name, uses) -> kernel(name, variables.get(name), uses).ifPresent(kernels::add));
    return markHeads(index, bodies, kernels);
  }

  private static KernelUse matmulUse(NodeDef node, String function) {
    return new KernelUse(node.getName(), node.getOp(), 1, flag(node, "transpose_a", "adj_x"),
        flag(node, "transpose_b", "adj_y"), "", function);
  }

  /** The kernel, or empty when its shape does not make it a linear map (e.g. a batched 3-D matmul weight). */
  private static Optional<Kernel> kernel(String name, NodeDef variable, List<KernelUse> uses) {
    if (variable == null || rank(variable) < 2) {
      return Optional.empty();
    }
    List<Long> shape = shapeOf(variable);
    KernelUse first = uses.get(0);
    long[] features;
    if (first.op().equals("Einsum")) {
      Optional<long[]> einsum = EinsumLayout.features(first.equation(), first.weightInput(), shape);
      if (einsum.isEmpty()) {
        return Optional.empty();
      }
      features = einsum.get();
    } else if (shape.size() == 2) {
      features = first.transposeWeight() ? new long[] {shape.get(1), shape.get(0)}
          : new long[] {shape.get(0), shape.get(1)};
    } else {
      return Optional.empty();
    }
    for (KernelUse use : uses) {
      if (!use.layout().equals(first.layout())) {
        // The same weights applied in two layouts have no single d_in/d_out.
        throw new VbLoraException("kernel " + name + " is applied as " + first.layout() + " by "
            + first.node() + " and as " + use.layout() + " by " + use.node() + "; such tied weights cannot be adapted");
      }
    }
    return Optional.of(new Kernel(name, variable.getName(), shape, features[0], features[1], layerOf(name), false,
        uses));
  }

  /**
   * A kernel is the output head when no other kernel is downstream of it (within the graph or the function
   * that applies it).
   */
  private static List<Kernel> markHeads(NodeIndex index, Map<String, FunctionBody> bodies, List<Kernel> kernels) {
    Map<String, Set<String>> kernelNodes = new HashMap<>();
    kernels.forEach(k -> k.uses().forEach(u ->
        kernelNodes.computeIfAbsent(u.function(), f -> new HashSet<>()).add(u.node())));
    List<Kernel> marked = new ArrayList<>(kernels.size());
    for (Kernel kernel : kernels) {
      boolean head = true;
      for (KernelUse use : kernel.uses()) {
        Set<String> after = use.function().isEmpty()
            ? index.downstream(List.of(use.node()))
            : bodies.get(use.function()).downstream(List.of(use.node()));
        after.remove(use.node());
        after.retainAll(kernelNodes.get(use.function()));
        head &= after.isEmpty();
      }
      marked.add(kernel.withHead(head));
    }
    return marked;
  }

  static OptionalInt layerOf(String name) {
    Matcher m = LAYER.matcher(name);
    OptionalInt layer = OptionalInt.empty();
    while (m.find()) {
      layer = OptionalInt.of(Integer.parseInt(m.group(1))); // the innermost layer_N wins
    }
    return layer;
  }

  private static Optional<NodeDef> traceToVariable(NodeIndex index, String start) {
    NodeDef node = index.node(start);
    for (int steps = 0; steps < 64; steps++) {
      if (VARIABLES.contains(node.getOp())) {
        return Optional.of(node);
      }
      if (!PASS_THROUGH.contains(node.getOp())) {
        return Optional.empty();
      }
      node = index.node(index.input(node, 0).node());
    }
    return Optional.empty();
  }

  private static String variableName(NodeDef variable) {
    AttrValue shared = variable.getAttrMap().get("shared_name");
    String name = shared == null ? "" : shared.getS().toStringUtf8();
    return name.isEmpty() ? variable.getName() : name;
  }

  private static List<Long> shapeOf(NodeDef variable) {
    List<Long> dims = new ArrayList<>();
    variable.getAttrOrThrow("shape").getShape().getDimList().forEach(d -> dims.add(d.getSize()));
    return dims;
  }

  private static int rank(NodeDef variable) {
    AttrValue shape = variable.getAttrMap().get("shape");
    return shape == null || shape.getShape().getUnknownRank() ? -1 : shape.getShape().getDimCount();
  }

  private static boolean flag(NodeDef node, String name, String alias) {
    AttrValue value = node.getAttrMap().getOrDefault(name, node.getAttrMap().get(alias));
    return value != null && value.getB();
  }

  private static List<String> nodesOf(Map<String, TensorInfo> tensors) {
    List<String> nodes = new ArrayList<>();
    for (TensorInfo info : tensors.values()) {
      nodes.add(TensorName.parse(info.getName()).node());
    }
    return nodes;
  }
}
