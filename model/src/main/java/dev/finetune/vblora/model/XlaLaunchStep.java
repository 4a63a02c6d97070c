package dev.finetune.vblora.model;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorflow.Graph;
import org.tensorflow.OperationBuilder;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.FunctionDefLibrary;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.OpDef;

/**
 * A step that feeds nothing, run as one {@code XlaLaunch} op: every node the step's target needs becomes the body
 * of a function whose arguments are the variables it reads and writes, and one XlaLaunch node in the graph runs
 * that function as a single XLA program.
 *
 * <p>Why not XLA's auto-clustering, which compiles the same nodes: auto-clustering runs a cluster as an
 * {@code _XlaCompile}/{@code _XlaRun} pair, and TensorFlow 2.18 compiles such a pair with
 * {@code may_alias_resource_update=false} (locking the variables in one op and releasing them in the other could
 * deadlock), so each updated variable's new value goes to a fresh buffer. With XLA's command buffers (CUDA
 * graphs) that moves the buffers the recorded graph reads, and XLA re-records the whole step's command buffer on
 * every execution (docs/benchmarks.md, lease Z). XlaLaunch compiles with resource updates aliased to their
 * inputs: a variable no one else holds is updated in its own buffer, and the recorded step stays valid.
 *
 * <p>The body must compile as a whole (XlaLaunch has no fallback to TensorFlow's kernels) and must not read a
 * Placeholder: a staged step's inputs are variables, and its fed-looking values PlaceholderWithDefault nodes
 * reading them.
 */
public final class XlaLaunchStep {
  private static final String VAR_HANDLE = "VarHandleOp";
  private static final Set<String> FED = Set.of("Placeholder", "PlaceholderV2");
  /** On a call node: create the call's kernel as an XlaLaunch of the function (TensorFlow's XlaKernelCreator). */
  private static final String MUST_COMPILE = "_XlaMustCompile";
  /** On a node, false: auto-clustering leaves it alone (a compiled call inside a cluster would lose the above). */
  private static final String AUTO_CLUSTER = "_XlaCompile";
  /** On a function: graph optimization keeps its calls as calls instead of inlining the body. */
  private static final String NO_INLINE = "_noinline";

  private XlaLaunchStep() {}

  /**
   * Adds the function of everything {@code target} and {@code outputs} need to {@code graph}'s library and a call
   * named {@code name} that XLA compiles as a whole; running {@code name} as a target then does what running
   * {@code target} did, and its i-th output is the value {@code outputs[i]} had in that run. A caller that wants a
   * value of the step fetches it from the call: fetching the original tensor next to the call would run the
   * nodes computing it a second time, outside the program.
   *
   * @param outputs tensor names ({@code node:index}) the call returns, in order
   * @return the call's op name
   */
  public static String attach(Graph graph, String target, List<String> outputs, String name) {
    GraphDef def = graph.toGraphDef();
    Map<String, NodeDef> nodes = new HashMap<>();
    def.getNodeList().forEach(n -> nodes.put(n.getName(), n));
    Map<String, FunctionDef> library = new HashMap<>();
    def.getLibrary().getFunctionList().forEach(f -> library.put(f.getSignature().getName(), f));
    if (!nodes.containsKey(target)) {
      throw new VbLoraException("the graph has no op " + target + " to run as one XLA program");
    }

    Set<String> body = new LinkedHashSet<>();
    Set<String> variables = new LinkedHashSet<>();
    Deque<String> todo = new ArrayDeque<>(List.of(target));
    outputs.forEach(output -> todo.add(source(output)));
    while (!todo.isEmpty()) {
      NodeDef node = nodes.get(todo.pop());
      if (node.getOp().equals(VAR_HANDLE)) {
        variables.add(node.getName());
        continue;
      }
      if (FED.contains(node.getOp())) {
        throw new VbLoraException(target + " reads placeholder " + node.getName()
            + ", which an XlaLaunch step cannot be fed; stage the step's inputs (StepInputs.STAGED)");
      }
      if (!body.add(node.getName())) {
        continue;
      }
      for (String input : node.getInputList()) {
        String source = source(input);
        if (!nodes.containsKey(source)) {
          throw new VbLoraException("node " + node.getName() + " reads " + input + ", which is not in the graph");
        }
        todo.push(source);
      }
    }

    String function = name.replaceAll("[^A-Za-z0-9_]", "_") + "_step";
    if (library.containsKey(function)) {
      throw new VbLoraException("the graph already has a function " + function + "; name the XlaLaunch op anew");
    }
    Map<String, String> argOf = new LinkedHashMap<>();
    OpDef.Builder signature = OpDef.newBuilder().setName(function).setIsStateful(true);
    for (String variable : variables) {
      String arg = "variable_" + argOf.size();
      argOf.put(variable, arg);
      signature.addInputArg(OpDef.ArgDef.newBuilder().setName(arg).setType(DataType.DT_RESOURCE));
    }
    signature.addControlOutput("step");
    OutputArgs args = new OutputArgs(library);
    FunctionDef.Builder fn = FunctionDef.newBuilder().putControlRet("step", target)
        .putAttr(NO_INLINE, AttrValue.newBuilder().setB(true).build());
    for (int i = 0; i < outputs.size(); i++) {
      String output = outputs.get(i);
      String source = source(output);
      if (!body.contains(source)) {
        throw new VbLoraException("output " + output + " of the XLA step is a variable's handle, not a value");
      }
      signature.addOutputArg(OpDef.ArgDef.newBuilder().setName("output_" + i)
          .setType(graph.outputOrThrow(output).dataType()));
      fn.putRet("output_" + i, source + ":" + args.argName(nodes.get(source), flatIndex(output)));
    }
    fn.setSignature(signature);
    for (String member : body) {
      NodeDef node = nodes.get(member);
      NodeDef.Builder copy = node.toBuilder().clearInput().removeAttr("_class");
      for (String input : node.getInputList()) {
        String source = source(input);
        if (input.startsWith("^")) {
          if (!argOf.containsKey(source)) {
            copy.addInput(input); // a control input on a variable's handle is always met by the argument
          }
        } else if (argOf.containsKey(source)) {
          copy.addInput(argOf.get(source));
        } else {
          copy.addInput(source + ":" + args.argName(nodes.get(source), flatIndex(input)));
        }
      }
      fn.addNodeDef(copy);
    }
    graph.importGraphDef(GraphDef.newBuilder().setVersions(def.getVersions())
        .setLibrary(FunctionDefLibrary.newBuilder().addFunction(fn)).build());

    OperationBuilder call = graph.opBuilder(function, name, graph.baseScope());
    for (String variable : variables) {
      call.addInput(graph.operationOrThrow(variable).output(0));
    }
    return call.setAttr(MUST_COMPILE, true).setAttr(AUTO_CLUSTER, false).build().name();
  }

  /** Whether {@code node} (as a partition graph shows it) is a call XLA compiles as a whole, as {@link #attach} adds. */
  public static boolean isCompiledCall(NodeDef node) {
    return node != null && node.getAttrOrDefault(MUST_COMPILE, AttrValue.getDefaultInstance()).getB();
  }

  private static String source(String input) {
    String name = input.startsWith("^") ? input.substring(1) : input;
    int colon = name.indexOf(':');
    return colon < 0 ? name : name.substring(0, colon);
  }

  private static int flatIndex(String input) {
    int colon = input.indexOf(':');
    return colon < 0 ? 0 : Integer.parseInt(input.substring(colon + 1));
  }
}
