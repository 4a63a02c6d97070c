package dev.finetune.vblora.model;

import static dev.finetune.vblora.model.NodeDefs.typeAttr;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.family.TType;

/**
 * Gives every GELU of a graph a backward pass that recomputes from GELU's input instead of reading what the forward
 * pass computed, so that XLA can run each direction as one element-wise kernel.
 *
 * <p>Why: TensorFlow differentiates a GELU op by op, and the backward pass reads the forward pass's {@code tanh}
 * (or {@code erf}) output. XLA then writes that intermediate out in the forward pass and reads it back, and it splits
 * both directions into two kernels each: on the H200, BERT-base's twelve [4096, 3072] GELUs took four kernels and
 * about 83 us a layer in a bfloat16 step (docs/benchmarks.md, issue 16), where one pass each way needs about 40.
 * Here the GELU's forward value is computed from a StopGradient of its input and goes through an {@code IdentityN}
 * marker whose gradient ({@link MarkerGradients}) is GELU's derivative written in closed form from the input alone:
 *
 * <pre>
 *   tanh form: s = sigmoid(2 z), z = sqrt(2 / pi) (x + 0.044715 x^3):   dy/dx = s (1 + x (1 - s) dz2/dx)
 *   erf form:  Phi = erfc(-x / sqrt 2) / 2, phi = exp(-x^2 / 2) / sqrt(2 pi):   dy/dx = Phi + x phi
 * </pre>
 *
 * <p>The derivative uses sigmoid and erfc, not the forward pass's tanh and erf, so that XLA's common-subexpression
 * elimination cannot merge it back into the forward pass's intermediate. It computes in float32 whatever the
 * GELU's type (the casts fuse into the kernel) and casts the input's gradient back to that type.
 *
 * <p>A GELU is found by what it computes, not by how an exporter spelled it: a {@code Tanh} or {@code Erf} whose
 * element-wise neighbourhood reads one tensor x (besides scalar constants) and ends in one tensor y, with no
 * intermediate read from outside, is rewritten when y(x) equals the tanh or the erf GELU at probe points
 * (evaluated here in double precision; tolerances cover bfloat16 constants). Forward values do not change: the same
 * ops compute y from the same x.
 */
public final class GeluRecompute {
  /** The marker's name suffix for the tanh approximation and for the exact (erf) GELU. */
  static final String MARKER_TANH = "vblora_gelu_tanh";
  static final String MARKER_ERF = "vblora_gelu_erf";
  private static final Set<String> ELEMENT_WISE = Set.of("Mul", "Add", "AddV2", "Sub", "RealDiv", "Div", "Pow",
      "Square", "Neg", "Tanh", "Erf", "Identity");
  private static final Set<DataType> FLOATS = Set.of(DataType.DT_FLOAT, DataType.DT_BFLOAT16, DataType.DT_HALF);
  /** How far back from the Tanh or Erf the search for GELU's input goes (BERT's form is 6 ops deep). */
  private static final int MAX_SEARCH = 32;
  private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

  private GeluRecompute() {}

  /** GELU's two common forms. */
  enum Form {
    /** 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))): BERT's, Keras' and PyTorch's approximation. */
    TANH(MARKER_TANH),
    /** 0.5 x (1 + erf(x / sqrt 2)): the exact GELU. */
    ERF(MARKER_ERF);

    final String marker;

    Form(String marker) {
      this.marker = marker;
    }

    double value(double x) {
      return this == TANH
          ? 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)))
          : 0.5 * x * (1 + erf(x / Math.sqrt(2)));
    }
  }

  /**
   * One GELU found in a graph.
   *
   * @param x its input
   * @param ops the element-wise ops from x to y, y included (the constants they read are not)
   * @param y the op whose output is GELU(x)
   * @param form which GELU it computes
   * @param type its element type
   */
  record Gelu(TensorName x, Set<String> ops, String y, Form form, DataType type) {}

  /**
   * @param inputNodes the signature's inputs and {@code outputNodes} its outputs: only a GELU on a data path from
   *     the ones to the others is rewritten (an exported graph may hold copies of the model no signature runs)
   * @param outputNodes nodes read from outside the graph: a GELU whose intermediate ops hold one is left as it is
   *     (y itself may be one: it keeps its name)
   * @return the graph with every such GELU rewritten; the same graph when none is found, or when this process
   *     cannot register the markers' gradient (other code registered one for IdentityN first)
   */
  public static GraphDef rewrite(GraphDef graph, Collection<String> inputNodes, Collection<String> outputNodes) {
    List<Gelu> gelus = find(graph, inputNodes, outputNodes);
    if (gelus.isEmpty() || !MarkerGradients.registered()) {
      return graph;
    }
    Map<String, Gelu> byOp = new HashMap<>();
    gelus.forEach(g -> g.ops().forEach(op -> byOp.put(op, g)));
    Set<String> names = new HashSet<>();
    graph.getNodeList().forEach(n -> names.add(n.getName()));
    Map<Gelu, String> stops = new HashMap<>();
    GraphDef.Builder out = graph.toBuilder().clearNode();
    for (NodeDef node : graph.getNodeList()) {
      Gelu gelu = byOp.get(node.getName());
      if (gelu == null) {
        out.addNode(node);
        continue;
      }
      String stop = stops.get(gelu);
      if (stop == null) {
        stop = OpNames.unique(gelu.y() + "/" + gelu.form().marker + "/stop_gradient", names);
        stops.put(gelu, stop);
        out.addNode(NodeDef.newBuilder().setName(stop).setOp("StopGradient").setDevice(node.getDevice())
            .addInput(gelu.x().toString()).putAttr("T", typeAttr(gelu.type())).build());
      }
      NodeDef.Builder copy = node.toBuilder().clearInput();
      for (String input : node.getInputList()) {
        copy.addInput(TensorName.parse(input).equals(gelu.x()) ? stop : input);
      }
      if (!node.getName().equals(gelu.y())) {
        out.addNode(copy);
        continue;
      }
      String value = OpNames.unique(gelu.y() + "/" + gelu.form().marker + "/value", names);
      String marker = OpNames.unique(gelu.y() + "/" + gelu.form().marker, names);
      out.addNode(copy.setName(value));
      out.addNode(NodeDefs.marker(marker, node.getDevice(), List.of(value, gelu.x().toString()),
          List.of(gelu.type(), gelu.type())));
      out.addNode(NodeDefs.unary("Identity", gelu.y(), marker + ":0", gelu.type(), node.getDevice()));
    }
    return out.build();
  }

  /** The GELUs of {@code graph} that {@link #rewrite} rewrites, each op in at most one. */
  static List<Gelu> find(GraphDef graph, Collection<String> inputNodes, Collection<String> outputNodes) {
    NodeIndex index = new NodeIndex(graph);
    Set<String> dataPath = index.dataPath(inputNodes, outputNodes);
    Set<String> kept = index.pinned(outputNodes);
    List<Gelu> found = new ArrayList<>();
    Set<String> claimed = new HashSet<>();
    for (NodeDef node : graph.getNodeList()) {
      if ((node.getOp().equals("Tanh") || node.getOp().equals("Erf")) && FLOATS.contains(type(node))
          && dataPath.contains(node.getName()) && !claimed.contains(node.getName())) {
        match(index, node, kept).filter(g -> g.ops().stream().noneMatch(claimed::contains)).ifPresent(g -> {
          found.add(g);
          claimed.addAll(g.ops());
        });
      }
    }
    return found;
  }

  private static Optional<Gelu> match(NodeIndex index, NodeDef special, Set<String> kept) {
    DataType type = type(special);
    Form form = special.getOp().equals("Tanh") ? Form.TANH : Form.ERF;
    for (TensorName x : candidateInputs(index, special, type)) {
      Map<String, Boolean> memo = new HashMap<>();
      if (!dependsOnlyOn(index, special, x, type, memo)) {
        continue;
      }
      List<String> chain = forwardChain(index, special, x, type, memo);
      for (int i = chain.size() - 1; i >= 0; i--) {
        String y = chain.get(i);
        Set<String> ops = region(index, y, x);
        if (closed(index, ops, y, kept) && computes(index, y, x, form, type)) {
          return Optional.of(new Gelu(x, Set.copyOf(ops), y, form, type));
        }
      }
    }
    return Optional.empty();
  }

  /** The tensors the special op reads through element-wise ops of its type, farthest first. */
  private static List<TensorName> candidateInputs(NodeIndex index, NodeDef special, DataType type) {
    Set<TensorName> seen = new LinkedHashSet<>();
    Deque<NodeDef> work = new ArrayDeque<>(List.of(special));
    while (!work.isEmpty() && seen.size() < MAX_SEARCH) {
      NodeDef node = work.removeFirst();
      for (String input : node.getInputList()) {
        TensorName tensor = TensorName.parse(input);
        if (tensor.control() || !index.contains(tensor.node()) || constant(index, tensor) || !seen.add(tensor)) {
          continue;
        }
        NodeDef producer = index.node(tensor.node());
        if (elementWise(producer, type) && tensor.index() == 0) {
          work.addLast(producer);
        }
      }
    }
    List<TensorName> farthestFirst = new ArrayList<>(seen);
    Collections.reverse(farthestFirst);
    return farthestFirst;
  }

  /** Whether every data input of {@code node}, followed back through element-wise ops, is x or a constant. */
  private static boolean dependsOnlyOn(NodeIndex index, NodeDef node, TensorName x, DataType type,
      Map<String, Boolean> memo) {
    Boolean known = memo.get(node.getName());
    if (known != null) {
      return known;
    }
    memo.put(node.getName(), false); // a cycle, impossible in a GraphDef, would end here
    boolean only = true;
    for (String input : node.getInputList()) {
      TensorName tensor = TensorName.parse(input);
      if (tensor.control() || tensor.equals(x) || constant(index, tensor)) {
        continue;
      }
      NodeDef producer = index.contains(tensor.node()) ? index.node(tensor.node()) : null;
      if (producer == null || tensor.index() != 0 || !elementWise(producer, type)
          || !dependsOnlyOn(index, producer, x, type, memo)) {
        only = false;
        break;
      }
    }
    memo.put(node.getName(), only);
    return only;
  }

  /** The special op and its single readers onward, while each is element-wise in x alone: y's candidates. */
  private static List<String> forwardChain(NodeIndex index, NodeDef special, TensorName x, DataType type,
      Map<String, Boolean> memo) {
    List<String> chain = new ArrayList<>(List.of(special.getName()));
    NodeDef current = special;
    while (true) {
      List<String> readers = index.consumers(current.getName());
      if (readers.size() != 1) {
        return chain;
      }
      NodeDef next = index.node(readers.get(0));
      if (!elementWise(next, type) || !dependsOnlyOn(index, next, x, type, memo)) {
        return chain;
      }
      chain.add(next.getName());
      current = next;
    }
  }

  /** y and the ops between x and y. */
  private static Set<String> region(NodeIndex index, String y, TensorName x) {
    Set<String> ops = new HashSet<>();
    Deque<String> work = new ArrayDeque<>(List.of(y));
    while (!work.isEmpty()) {
      String name = work.pop();
      if (!ops.add(name)) {
        continue;
      }
      for (String input : index.node(name).getInputList()) {
        TensorName tensor = TensorName.parse(input);
        if (!tensor.control() && !tensor.equals(x) && !constant(index, tensor)) {
          work.push(tensor.node());
        }
      }
    }
    return ops;
  }

  /** Nothing outside reads an op before y, and none is fetched or a control input. */
  private static boolean closed(NodeIndex index, Set<String> ops, String y, Set<String> kept) {
    for (String op : ops) {
      if (op.equals(y)) {
        continue;
      }
      if (kept.contains(op) || !ops.containsAll(index.consumers(op))) {
        return false;
      }
    }
    return true;
  }

  // ---- what the ops compute ----

  /** Whether y(x) is the form's GELU at probe points from -6 to 6, within the type's rounding of constants. */
  private static boolean computes(NodeIndex index, String y, TensorName x, Form form, DataType type) {
    // bfloat16 constants move GELU by at most ~3e-4; a looser bound would take a scaled GELU (c y, c near 1) for one
    // and drop the factor from its gradient.
    double tolerance = type == DataType.DT_FLOAT ? 1e-5 : 2e-3;
    for (int i = -24; i <= 24; i++) {
      double probe = i / 4.0;
      double value = evaluate(index, new TensorName(y, 0, false), x, probe, new HashMap<>());
      double expected = form.value(probe);
      if (!(Math.abs(value - expected) <= tolerance * Math.max(1, Math.abs(expected)))) {
        return false;
      }
    }
    return true;
  }

  /** The tensor's value when x is {@code probe}, in double precision; NaN for what this cannot evaluate. */
  private static double evaluate(NodeIndex index, TensorName tensor, TensorName x, double probe,
      Map<String, Double> memo) {
    if (tensor.equals(x)) {
      return probe;
    }
    Double known = memo.get(tensor.node());
    if (known != null) {
      return known;
    }
    NodeDef node = index.node(tensor.node());
    List<Double> in = new ArrayList<>();
    if (!node.getOp().equals("Const")) {
      for (String input : node.getInputList()) {
        TensorName t = TensorName.parse(input);
        if (!t.control()) {
          in.add(evaluate(index, t, x, probe, memo));
        }
      }
    }
    double value = switch (node.getOp()) {
      case "Const" -> scalar(node);
      case "Identity", "Cast" -> in.get(0);
      case "Neg" -> -in.get(0);
      case "Square" -> in.get(0) * in.get(0);
      case "Tanh" -> Math.tanh(in.get(0));
      case "Erf" -> erf(in.get(0));
      case "Mul" -> in.get(0) * in.get(1);
      case "Add", "AddV2" -> in.get(0) + in.get(1);
      case "Sub" -> in.get(0) - in.get(1);
      case "RealDiv", "Div" -> in.get(0) / in.get(1);
      case "Pow" -> Math.pow(in.get(0), in.get(1));
      default -> Double.NaN;
    };
    memo.put(tensor.node(), value);
    return value;
  }

  /**
   * A scalar or [1] float32 or bfloat16 constant's value; NaN otherwise (a [1, 1] constant would broadcast y to a
   * higher rank than x, and x's gradient must keep x's shape).
   */
  private static double scalar(NodeDef node) {
    TensorProto value = node.getAttrOrThrow("value").getTensor();
    List<TensorShapeProto.Dim> dims = value.getTensorShape().getDimList();
    if (dims.size() > 1 || dims.stream().anyMatch(d -> d.getSize() != 1)) {
      return Double.NaN;
    }
    return ScalarConstant.of(value).map(Float::doubleValue).orElse(Double.NaN);
  }

  /** erf from Numerical Recipes' Chebyshev fit of erfc (fractional error below 1.2e-7). */
  static double erf(double v) {
    double t = 1 / (1 + 0.5 * Math.abs(v));
    double tau = t * Math.exp(-v * v - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
        + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223
        + t * 0.17087277)))))))));
    return v >= 0 ? 1 - tau : tau - 1;
  }

  // ---- the marker's gradient ----

  /** The marker's gradient: x's gradient from y's, by the closed-form derivative in the class comment. */
  static List<Operand<?>> gradient(Ops tf, GraphOperation op, List<Output<?>> grads) {
    Output<?> x = op.input(1);
    List<Operand<?>> out = new ArrayList<>();
    out.add(tf.zerosLike(op.input(0)));
    if (grads.get(0) == null) {
      out.add(tf.zerosLike(x));
      return out;
    }
    Operand<TFloat32> x32 = tf.dtypes.cast(x, TFloat32.class);
    Operand<TFloat32> dy = tf.dtypes.cast(grads.get(0), TFloat32.class);
    Operand<TFloat32> derivative = MarkerGradients.isMarker(op.name(), MARKER_TANH)
        ? tanhDerivative(tf, x32) : erfDerivative(tf, x32);
    out.add(castLike(tf, tf.math.mul(dy, derivative), x.type()));
    return out;
  }

  /** s (1 + x (1 - s) (k1 + 3 k3 x^2)), s = sigmoid(x (k1 + k3 x^2)): k1 = 2 sqrt(2 / pi), k3 = 0.044715 k1. */
  private static Operand<TFloat32> tanhDerivative(Ops tf, Operand<TFloat32> x) {
    float k1 = (float) (2 * SQRT_2_OVER_PI);
    float k3 = (float) (2 * SQRT_2_OVER_PI * 0.044715);
    Operand<TFloat32> square = tf.math.square(x);
    Operand<TFloat32> s = tf.math.sigmoid(tf.math.mul(x, tf.math.add(tf.constant(k1),
        tf.math.mul(tf.constant(k3), square))));
    Operand<TFloat32> slope = tf.math.add(tf.constant(k1), tf.math.mul(tf.constant(3 * k3), square));
    Operand<TFloat32> inner = tf.math.mul(tf.math.mul(x, tf.math.sub(tf.constant(1f), s)), slope);
    return tf.math.mul(s, tf.math.add(tf.constant(1f), inner));
  }

  /** Phi(x) + x phi(x), Phi from erfc(-x / sqrt 2). */
  private static Operand<TFloat32> erfDerivative(Ops tf, Operand<TFloat32> x) {
    Operand<TFloat32> cdf = tf.math.mul(tf.constant(0.5f),
        tf.math.erfc(tf.math.mul(x, tf.constant((float) (-1 / Math.sqrt(2))))));
    Operand<TFloat32> pdf = tf.math.mul(tf.constant((float) (1 / Math.sqrt(2 * Math.PI))),
        tf.math.exp(tf.math.mul(tf.constant(-0.5f), tf.math.square(x))));
    return tf.math.add(cdf, tf.math.mul(x, pdf));
  }

  @SuppressWarnings("unchecked")
  private static Operand<?> castLike(Ops tf, Operand<TFloat32> value, Class<? extends TType> type) {
    return type == TFloat32.class ? value : tf.dtypes.cast(value, (Class<TType>) type);
  }

  // ---- NodeDef helpers ----

  private static boolean elementWise(NodeDef node, DataType type) {
    return ELEMENT_WISE.contains(node.getOp()) && type(node) == type;
  }

  /** A Const, or a Cast or Identity of one. */
  private static boolean constant(NodeIndex index, TensorName tensor) {
    if (!index.contains(tensor.node())) {
      return false;
    }
    NodeDef node = index.node(tensor.node());
    if (node.getOp().equals("Const")) {
      return true;
    }
    if (node.getOp().equals("Cast") || node.getOp().equals("Identity")) {
      TensorName input = index.input(node, 0);
      return constant(index, input);
    }
    return false;
  }

  private static DataType type(NodeDef node) {
    AttrValue value = node.getAttrMap().get("T");
    return value == null ? DataType.DT_INVALID : value.getType();
  }

}
