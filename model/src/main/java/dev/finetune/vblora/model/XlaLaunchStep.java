package dev.finetune.vblora.model;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
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
 * reading them. A step that draws seeded random numbers (dropout) is {@link Unsuitable}: XLA draws them with its own
 * generator, which ignores the op's seeds, so a seeded run would no longer repeat (auto-clustering leaves such ops
 * to TensorFlow for the same reason).
 */
public final class XlaLaunchStep {
  private static final String VAR_HANDLE = "VarHandleOp";
  private static final Set<String> FED = Set.of("Placeholder", "PlaceholderV2");
  /** TensorFlow's stateful random ops: seeded in TensorFlow, unseeded in XLA. */
  private static final Set<String> STATEFUL_RANDOM = Set.of("RandomUniform", "RandomUniformInt",
      "RandomStandardNormal", "TruncatedNormal", "ParameterizedTruncatedNormal", "RandomShuffle", "Multinomial",
      "RandomGamma", "RandomPoisson", "RandomPoissonV2");
  /** On a call node: create the call's kernel as an XlaLaunch of the function (TensorFlow's XlaKernelCreator). */
  private static final String MUST_COMPILE = "_XlaMustCompile";
  /** On a node, false: auto-clustering leaves it alone (a compiled call inside a cluster would lose the above). */
  private static final String AUTO_CLUSTER = "_XlaCompile";
  /** On a function: graph optimization keeps its calls as calls instead of inlining the body. */
  private static final String NO_INLINE = "_noinline";
  /** Colocation with other nodes: names nodes outside the body, which the function does not have. */
  private static final String COLOCATION = "_class";

  /** A step that must not run as one XLA program; the message says why. */
  public static final class Unsuitable extends VbLoraException {
    Unsuitable(String message) {
      super(message);
    }
  }

  private final Graph graph;
  private final GraphDef def;
  private final Map<String, NodeDef> nodes = new HashMap<>();
  private final OutputArgs outputArgs;
  private final Set<String> body = new LinkedHashSet<>();
  private final Set<String> variables = new LinkedHashSet<>();

  private XlaLaunchStep(Graph graph) {
    this.graph = graph;
    this.def = graph.toGraphDef();
    def.getNodeList().forEach(n -> nodes.put(n.getName(), n));
    Map<String, FunctionDef> library = new HashMap<>();
    def.getLibrary().getFunctionList().forEach(f -> library.put(f.getSignature().getName(), f));
    this.outputArgs = new OutputArgs(library);
  }

  /**
   * Adds the function of everything {@code target} and {@code outputs} need to {@code graph}'s library and a call
   * named {@code name} that XLA compiles as a whole; running {@code name} as a target then does what running
   * {@code target} did, and its i-th output is the value {@code outputs[i]} had in that run. A caller that wants a
   * value of the step fetches it from the call: fetching the original tensor next to the call would run the
   * nodes computing it a second time, outside the program. A refusal leaves the graph as it was.
   *
   * @param outputs tensor names ({@code node:index}) the call returns, in order
   * @return the call's op name
   * @throws Unsuitable when the step reads a placeholder or draws seeded random numbers
   * @throws VbLoraException when {@code target}, an output or {@code name} is not usable in {@code graph}
   */
  public static String attach(Graph graph, String target, List<String> outputs, String name) {
    if (graph.operation(name) != null) {
      throw new VbLoraException("the graph already has an op " + name + "; name the XLA step anew");
    }
    XlaLaunchStep step = new XlaLaunchStep(graph);
    String function = name.replaceAll("[^A-Za-z0-9_]", "_") + "_step";
    if (step.def.getLibrary().getFunctionList().stream().anyMatch(f -> f.getSignature().getName().equals(function))) {
      throw new VbLoraException("the graph already has a function " + function + "; name the XLA step anew");
    }
    step.collect(target, outputs);
    graph.importGraphDef(GraphDef.newBuilder().setVersions(step.def.getVersions())
        .setLibrary(FunctionDefLibrary.newBuilder().addFunction(step.function(function, target, outputs))).build());
    OperationBuilder call = graph.opBuilder(function, name, graph.baseScope());
    for (String variable : step.variables) {
      call.addInput(graph.operationOrThrow(variable).output(0));
    }
    return call.setAttr(MUST_COMPILE, true).setAttr(AUTO_CLUSTER, false).build().name();
  }

  /** Whether {@code node} (as a partition graph shows it) is a call XLA compiles whole, as {@link #attach} adds. */
  public static boolean isCompiledCall(NodeDef node) {
    return node != null && node.getAttrOrDefault(MUST_COMPILE, AttrValue.getDefaultInstance()).getB();
  }

  /** The body (every node the target and outputs need, variable handles aside) and the variables it reads. */
  private void collect(String target, List<String> outputs) {
    Deque<String> todo = new ArrayDeque<>();
    todo.add(requireNode(target, "the op to run as one XLA program"));
    outputs.forEach(output -> todo.add(requireNode(source(output), "output " + output + " of the XLA step")));
    while (!todo.isEmpty()) {
      NodeDef node = nodes.get(todo.pop());
      if (node.getOp().equals(VAR_HANDLE)) {
        variables.add(node.getName());
        continue;
      }
      if (FED.contains(node.getOp())) {
        throw new Unsuitable(target + " reads placeholder " + node.getName() + ", which an XLA step cannot be fed;"
            + " stage the step's inputs (StepInputs.STAGED)");
      }
      if (STATEFUL_RANDOM.contains(node.getOp())) {
        throw new Unsuitable(target + " draws seeded random numbers in " + node.getName() + " (" + node.getOp()
            + "), which XLA would draw with its own generator, unseeded");
      }
      if (body.add(node.getName())) {
        for (String input : node.getInputList()) {
          todo.push(requireNode(source(input), "input " + input + " of node " + node.getName()));
        }
      }
    }
    for (String output : outputs) {
      if (!body.contains(source(output))) {
        throw new VbLoraException("output " + output + " of the XLA step is a variable's handle, not a value");
      }
    }
  }

  private String requireNode(String name, String what) {
    if (!nodes.containsKey(name)) {
      throw new VbLoraException(what + " names node " + name + ", which is not in the graph");
    }
    return name;
  }

  /** The body as a function: one resource argument per variable, the outputs as results. */
  private FunctionDef function(String function, String target, List<String> outputs) {
    Set<String> taken = new HashSet<>(body);
    Map<String, String> argOf = new LinkedHashMap<>();
    OpDef.Builder signature = OpDef.newBuilder().setName(function).setIsStateful(true);
    for (String variable : variables) {
      String arg = unused("variable_" + argOf.size(), taken);
      argOf.put(variable, arg);
      signature.addInputArg(OpDef.ArgDef.newBuilder().setName(arg).setType(DataType.DT_RESOURCE));
    }
    FunctionDef.Builder fn = FunctionDef.newBuilder()
        .putAttr(NO_INLINE, AttrValue.newBuilder().setB(true).build());
    for (int i = 0; i < outputs.size(); i++) {
      String output = outputs.get(i);
      String result = unused("output_" + i, taken);
      signature.addOutputArg(OpDef.ArgDef.newBuilder().setName(result)
          .setType(graph.outputOrThrow(output).dataType()));
      fn.putRet(result, bodyInput(output, argOf));
    }
    String step = unused("step", taken);
    fn.setSignature(signature.addControlOutput(step)).putControlRet(step, target);
    for (String member : body) {
      NodeDef node = nodes.get(member);
      NodeDef.Builder copy = node.toBuilder().clearInput().removeAttr(COLOCATION);
      for (String input : node.getInputList()) {
        // A control input on a variable's handle is always met by the argument.
        if (!(input.startsWith("^") && argOf.containsKey(source(input)))) {
          copy.addInput(input.startsWith("^") ? input : bodyInput(input, argOf));
        }
      }
      fn.addNodeDef(copy);
    }
    return fn.build();
  }

  /** How the body refers to tensor {@code input}: an argument, or {@code node:output_arg:index}. */
  private String bodyInput(String input, Map<String, String> argOf) {
    String source = source(input);
    return argOf.containsKey(source) ? argOf.get(source)
        : source + ":" + outputArgs.argName(nodes.get(source), flatIndex(input));
  }

  /** {@code name}, or it with a suffix, so that no node or other name of the function has it. */
  private static String unused(String name, Set<String> taken) {
    String candidate = name;
    for (int i = 1; taken.contains(candidate); i++) {
      candidate = name + "_" + i;
    }
    taken.add(candidate);
    return candidate;
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
