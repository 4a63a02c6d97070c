package dev.finetune.vblora.model;

import java.util.ArrayList;
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
 * signature's inputs to its outputs whose weight input is read from a variable.
 *
 * <p>The test is structural on purpose: names and op types alone would also catch copies of the network
 * that serving never runs (TF Hub exports hold several), optimizer slots with kernel shapes, and
 * activation-by-activation products such as attention scores.
 */
public final class KernelDiscovery {
  private static final Set<String> MATMULS = Set.of("MatMul", "BatchMatMul", "BatchMatMulV2", "BatchMatMulV3");
  private static final Set<String> VARIABLES = Set.of("VarHandleOp", "VariableV2", "Variable");
  /** Ops that pass a weight through unchanged between the variable and the matmul. */
  private static final Set<String> PASS_THROUGH = Set.of("ReadVariableOp", "Identity", "Snapshot");
  /** layer_3, layers.3, blocks_3, h.3: the layer index PEFT's layers_to_transform refers to. */
  private static final Pattern LAYER = Pattern.compile("(?:^|/)(?:(?:layer|layers|block|blocks)[_.]?|h[_.])(\\d+)(?=/|$)");

  private KernelDiscovery() {}

  /** The kernels on the path of signature {@code signatureKey} of a meta graph. */
  public static List<Kernel> discover(MetaGraphDef metaGraph, String signatureKey) {
    SignatureDef signature = metaGraph.getSignatureDefMap().get(signatureKey);
    if (signature == null) {
      throw new IllegalArgumentException("the meta graph has no signature '" + signatureKey
          + "'; its signatures are " + metaGraph.getSignatureDefMap().keySet());
    }
    return discover(metaGraph.getGraphDef(), signature);
  }

  /** The kernels on the path from {@code signature}'s inputs to its outputs in {@code graph}. */
  public static List<Kernel> discover(GraphDef graph, SignatureDef signature) {
    NodeIndex index = new NodeIndex(graph);
    Set<String> fromInputs = index.downstream(nodesOf(signature.getInputsMap()));
    Set<String> servingPath = new HashSet<>(index.upstream(nodesOf(signature.getOutputsMap())));
    servingPath.retainAll(fromInputs);

    Map<String, List<KernelUse>> usesByVariable = new LinkedHashMap<>();
    Map<String, NodeDef> variables = new LinkedHashMap<>();
    for (NodeDef node : index.nodes()) {
      if (!servingPath.contains(node.getName()) || !MATMULS.contains(node.getOp())) {
        continue;
      }
      Optional<NodeDef> variable = traceToVariable(index, index.input(node, 1).node());
      NodeDef activation = index.node(index.input(node, 0).node());
      // A one-hot times a table is an embedding lookup, not a linear layer; and a variable in both inputs
      // (or none) is no Dense kernel.
      if (variable.isEmpty() || activation.getOp().equals("OneHot")
          || traceToVariable(index, activation.getName()).isPresent() || rank(variable.get()) != 2) {
        continue;
      }
      String name = variableName(variable.get());
      variables.putIfAbsent(name, variable.get());
      usesByVariable.computeIfAbsent(name, k -> new ArrayList<>()).add(new KernelUse(node.getName(), node.getOp(),
          1, flag(node, "transpose_a", "adj_x"), flag(node, "transpose_b", "adj_y"), "", ""));
    }
    List<Kernel> kernels = new ArrayList<>();
    usesByVariable.forEach((name, uses) -> kernels.add(kernel(name, variables.get(name), uses)));
    return markHeads(index, kernels);
  }

  private static Kernel kernel(String name, NodeDef variable, List<KernelUse> uses) {
    List<Long> shape = shapeOf(variable);
    boolean transposed = uses.get(0).transposeWeight();
    for (KernelUse use : uses) {
      if (use.transposeWeight() != transposed) {
        // Same weights read as [in,out] in one place and [out,in] in another: no single d_in/d_out.
        throw new IllegalArgumentException("kernel " + name + " is applied both transposed and not ("
            + uses.get(0).node() + ", " + use.node() + "); such tied weights cannot be adapted");
      }
    }
    long in = transposed ? shape.get(1) : shape.get(0);
    long out = transposed ? shape.get(0) : shape.get(1);
    return new Kernel(name, variable.getName(), shape, in, out, layerOf(name), false, uses);
  }

  /** A kernel is the output head when no other kernel is downstream of it. */
  private static List<Kernel> markHeads(NodeIndex index, List<Kernel> kernels) {
    Set<String> kernelNodes = new HashSet<>();
    kernels.forEach(k -> k.uses().forEach(u -> kernelNodes.add(u.node())));
    List<Kernel> marked = new ArrayList<>(kernels.size());
    for (Kernel kernel : kernels) {
      Set<String> own = new HashSet<>();
      kernel.uses().forEach(u -> own.add(u.node()));
      Set<String> after = index.downstream(own);
      after.removeAll(own);
      after.retainAll(kernelNodes);
      marked.add(kernel.withHead(after.isEmpty()));
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
