package dev.finetune.vblora.model;

import dev.finetune.vblora.data.error.VbLoraException;
import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.OpDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;

/**
 * Copies the functions a TF2 (Keras) export serves through into its main graph, so that their kernels become
 * main-graph MatMuls / Einsums the TF1-style rewrite can splice (see {@link GraphRewriter}).
 *
 * <p>Only the call ops on the serving path are replaced: each by its body, its nodes prefixed with the call's
 * name; consumers of {@code call:i} (and the signature's outputs) are re-pointed to the function's i-th return
 * value, and a NoOp named like the call keeps its control edges. (An IdentityN handing out the results would
 * keep the names, but has no C++ gradient, so training could not differentiate through it.) Arguments become
 * Identity nodes reading the call's inputs; resource arguments thus still lead to the main graph's
 * VarHandleOps, which the model's saver restores.
 * Nested calls are inlined in turn. The function library stays: the save/restore calls and other signatures
 * still use it.
 */
final class ServingPathInliner {
  /** Nesting depth at which inlining gives up (Keras exports nest 2-4 deep). */
  private static final int MAX_DEPTH = 32;

  private final Map<String, FunctionDef> library = new HashMap<>();
  private final OutputArgs outputArgs;

  private ServingPathInliner(GraphDef graph) {
    graph.getLibrary().getFunctionList().forEach(f -> library.put(f.getSignature().getName(), f));
    outputArgs = new OutputArgs(library);
  }

  /** A graph with its serving path inlined, and the signature with its outputs re-pointed accordingly. */
  record Inlined(GraphDef graph, SignatureDef signature) {}

  /** The graph with every function call between the signature's inputs and outputs inlined. */
  static Inlined inline(GraphDef graph, SignatureDef signature) {
    ServingPathInliner inliner = new ServingPathInliner(graph);
    Inlined current = new Inlined(graph, signature);
    for (int depth = 0; depth < MAX_DEPTH; depth++) {
      List<NodeDef> calls = inliner.callsOnPath(current.graph(), current.signature());
      if (calls.isEmpty()) {
        return current;
      }
      current = inliner.replace(current, calls);
    }
    throw new VbLoraException("the serving path of the model nests function calls deeper than "
        + MAX_DEPTH + " levels; such a model cannot be inlined");
  }

  private List<NodeDef> callsOnPath(GraphDef graph, SignatureDef signature) {
    NodeIndex index = new NodeIndex(graph);
    Set<String> path = new HashSet<>(index.upstream(nodesOf(signature.getOutputsMap())));
    path.retainAll(index.downstream(nodesOf(signature.getInputsMap())));
    List<NodeDef> calls = new ArrayList<>();
    for (NodeDef node : graph.getNodeList()) {
      if (path.contains(node.getName()) && FunctionKernels.CALLS.contains(node.getOp())
          && library.containsKey(node.getAttrOrThrow("f").getFunc().getName())) {
        calls.add(node);
      }
    }
    return calls;
  }

  private Inlined replace(Inlined current, List<NodeDef> calls) {
    GraphDef graph = current.graph();
    Set<String> names = new HashSet<>();
    graph.getNodeList().forEach(n -> names.add(n.getName()));
    Map<String, List<NodeDef>> inlined = new HashMap<>();
    Map<String, String> results = new HashMap<>();
    for (NodeDef call : calls) {
      inlined.put(call.getName(), body(call, names, results));
    }
    GraphDef.Builder out = graph.toBuilder().clearNode();
    for (NodeDef node : graph.getNodeList()) {
      for (NodeDef kept : inlined.getOrDefault(node.getName(), List.of(node))) {
        NodeDef.Builder rewired = kept.toBuilder().clearInput();
        kept.getInputList().forEach(i -> rewired.addInput(results.getOrDefault(canonical(i), i)));
        out.addNode(rewired);
      }
    }
    SignatureDef.Builder signature = current.signature().toBuilder();
    current.signature().getOutputsMap().forEach((key, info) -> {
      String result = results.get(canonical(info.getName()));
      if (result != null) {
        signature.putOutputs(key, info.toBuilder().setName(result.contains(":") ? result : result + ":0").build());
      }
    });
    return new Inlined(out.build(), signature.build());
  }

  /** {@code node:0} for {@code node}, so that both spellings of output 0 are found. */
  private static String canonical(String input) {
    return input.startsWith("^") || input.contains(":") ? input : input + ":0";
  }

  /**
   * The nodes that stand in for {@code call}: argument Identities, the body, and a NoOp for its control edges;
   * {@code results} learns which tensor each {@code call:i} now is.
   */
  private List<NodeDef> body(NodeDef call, Set<String> taken, Map<String, String> results) {
    String functionName = call.getAttrOrThrow("f").getFunc().getName();
    FunctionDef function = library.get(functionName);
    OpDef signature = function.getSignature();
    String prefix = call.getName() + "/";
    if (taken.stream().anyMatch(n -> n.startsWith(prefix))) {
      throw new VbLoraException("cannot inline function " + functionName + " called by "
          + call.getName() + ": the graph already has nodes under " + prefix);
    }
    List<String> data = new ArrayList<>();
    List<String> control = new ArrayList<>();
    call.getInputList().forEach(i -> (i.startsWith("^") ? control : data).add(i));
    if (data.size() != signature.getInputArgCount()) {
      throw new VbLoraException("call " + call.getName() + " passes " + data.size() + " inputs to "
          + functionName + ", which takes " + signature.getInputArgCount());
    }
    Map<String, NodeDef> bodyNodes = new HashMap<>();
    function.getNodeDefList().forEach(n -> bodyNodes.put(n.getName(), n));

    Set<String> local = new HashSet<>(bodyNodes.keySet());
    signature.getInputArgList().forEach(a -> local.add(a.getName()));

    List<NodeDef> nodes = new ArrayList<>();
    for (int i = 0; i < signature.getInputArgCount(); i++) {
      OpDef.ArgDef arg = signature.getInputArg(i);
      nodes.add(NodeDef.newBuilder().setName(prefix + arg.getName()).setOp("Identity").addInput(data.get(i))
          .addAllInput(control).setDevice(call.getDevice())
          .putAttr("T", AttrValue.newBuilder().setType(typeOf(arg, functionName)).build()).build());
    }
    for (NodeDef node : function.getNodeDefList()) {
      NodeDef.Builder copy = node.toBuilder().setName(prefix + node.getName()).clearInput();
      for (String input : node.getInputList()) {
        copy.addInput(graphInput(input, prefix, bodyNodes, functionName));
      }
      node.getAttrMap().forEach((key, value) -> {
        if (!value.getPlaceholder().isEmpty()) {
          throw new VbLoraException("node " + node.getName() + " of function " + functionName
              + " has attr " + key + " bound to a function attr; such generic functions cannot be inlined");
        }
      });
      AttrValue colocation = node.getAttrMap().get("_class");
      if (colocation != null) {
        AttrValue kept = colocatedWith(colocation, prefix, local);
        if (kept.getList().getSCount() == 0) {
          copy.removeAttr("_class");
        } else {
          copy.putAttr("_class", kept);
        }
      }
      nodes.add(copy.build());
    }
    NodeDef.Builder done = NodeDef.newBuilder().setName(call.getName()).setOp("NoOp").setDevice(call.getDevice());
    for (int i = 0; i < signature.getOutputArgCount(); i++) {
      OpDef.ArgDef out = signature.getOutputArg(i);
      String result = graphInput(function.getRetOrThrow(out.getName()), prefix, bodyNodes, functionName);
      results.put(call.getName() + ":" + i, result);
      done.addInput("^" + TensorName.parse(result).node());
    }
    // Side effects the function promised to finish before returning.
    function.getControlRetMap().values().forEach(n -> done.addInput("^" + prefix + n));
    nodes.add(done.build());
    return nodes;
  }

  /** {@code arg}, {@code node:out_arg:i} or {@code ^node} of a body, as a GraphDef input. */
  private String graphInput(String input, String prefix, Map<String, NodeDef> bodyNodes, String functionName) {
    if (input.startsWith("^")) {
      return "^" + prefix + input.substring(1);
    }
    String[] parts = input.split(":");
    if (parts.length == 1 || (parts.length == 2 && !bodyNodes.containsKey(parts[0]))) {
      return prefix + input; // an argument, as arg or arg:0
    }
    NodeDef node = bodyNodes.get(parts[0]);
    if (node == null || parts.length != 3) {
      throw new VbLoraException("function " + functionName + " reads " + input
          + ", which names no node output of its body");
    }
    return prefix + parts[0] + ":" + outputArgs.flatIndex(node, parts[1], Integer.parseInt(parts[2]));
  }

  /**
   * Colocation with a body node or argument ({@code loc:@name}) follows it into its prefixed copy. A colocation
   * with a node the body does not have is dropped: it names a node of the Python graph the function was traced
   * from (bert-for-tf2's embedding lookup names one), which the function runtime ignores but a graph import
   * refuses ("expects to be colocated with unknown node"). Colocation only places ops on devices.
   */
  private static AttrValue colocatedWith(AttrValue colocation, String prefix, Set<String> local) {
    AttrValue.ListValue.Builder list = AttrValue.ListValue.newBuilder();
    colocation.getList().getSList().forEach(entry -> {
      String text = entry.toStringUtf8();
      if (!text.startsWith("loc:@")) {
        list.addS(entry);
      } else if (local.contains(text.substring(5))) {
        list.addS(ByteString.copyFromUtf8("loc:@" + prefix + text.substring(5)));
      }
    });
    return AttrValue.newBuilder().setList(list).build();
  }

  private static DataType typeOf(OpDef.ArgDef arg, String functionName) {
    if (arg.getType() == DataType.DT_INVALID) {
      throw new VbLoraException("argument " + arg.getName() + " of function " + functionName
          + " has no fixed type; such generic functions cannot be inlined");
    }
    return arg.getType();
  }

  private static List<String> nodesOf(Map<String, TensorInfo> tensors) {
    List<String> nodes = new ArrayList<>();
    tensors.values().forEach(info -> nodes.add(TensorName.parse(info.getName()).node()));
    return nodes;
  }
}
