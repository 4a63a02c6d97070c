package dev.finetune.vblora.model;

import static dev.finetune.vblora.model.NodeDefs.binary;
import static dev.finetune.vblora.model.NodeDefs.typeAttr;
import static dev.finetune.vblora.model.NodeDefs.unary;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;

/**
 * Computes the variance of every float32 {@code tf.nn.moments} on a training graph's data path in the same pass over
 * x as its mean ({@link MomentsForm#ONE_PASS}): var = mean(x^2) - mean(x)^2, with x and both means in float64,
 * clamped at 0 and rounded to float32.
 *
 * <p>Why: tf.nn.moments, which TF1 BERT's and bert-for-tf2's LayerNorms use, writes the variance as
 * mean((x - stop_gradient(mean))^2): a second reduction that can start only when the first has ended, so XLA reads
 * each LayerNorm's input twice in two kernels (BERT-base: 25 of them over [4096, 768] a step). Here the variance's
 * reductions read x alone and are siblings of the mean's, which XLA can fuse into one kernel.
 *
 * <p>Why float64: in float32, mean(x^2) - mean(x)^2 cancels as the row's mean grows against its spread, and even the
 * shifted form (x less its first element) lost digits on ALBERT's rows: its adapter gradients moved by 2e-4 of their
 * largest value, ten times what other rewrites' rounding moves them. The reductions are bound by reading x, which
 * stays float32; float64 sums keep 29 more bits, so the variance is the two-pass one's to float32 rounding for rows
 * whose mean is up to about 10^4 of their spread. The clamp keeps rsqrt(var + epsilon) finite where rounding leaves
 * a constant row's difference below 0. Gradient: d(var)/dx = 2 (x - mean) / n, as in TensorFlow's form (whose
 * StopGradient on the mean changes nothing, since sum(x - mean) = 0).
 *
 * <p>Recognised: Mean(SquaredDifference(x, StopGradient(m)), axes) where m = Mean(x, axes, keep_dims=true) with
 * equal constant axes, float32; anything else is left as it is.
 */
public final class OnePassMoments {
  /** The scope suffix of a rewritten variance's ops. */
  static final String SCOPE = "vblora_one_pass";

  private OnePassMoments() {}

  /**
   * One variance of tf.nn.moments.
   *
   * @param variance the Mean node that computes it
   * @param x the tensor whose moments they are
   */
  record Variance(String variance, TensorName x) {}

  /**
   * @param inputNodes the signature's input nodes and {@code outputNodes} its output nodes: the data path between
   *     them is where variances are rewritten
   * @return the graph with those variances rewritten; the same graph when there is none
   */
  public static GraphDef rewrite(GraphDef graph, Collection<String> inputNodes, Collection<String> outputNodes) {
    Map<String, Variance> variances = new HashMap<>();
    find(graph, inputNodes, outputNodes).forEach(v -> variances.put(v.variance(), v));
    if (variances.isEmpty()) {
      return graph;
    }
    Set<String> names = new HashSet<>();
    graph.getNodeList().forEach(n -> names.add(n.getName()));
    GraphDef.Builder out = graph.toBuilder().clearNode();
    for (NodeDef node : graph.getNodeList()) {
      Variance variance = variances.get(node.getName());
      if (variance == null) {
        out.addNode(node);
      } else {
        addOnePassForm(out, node, variance, names);
      }
    }
    return out.build();
  }

  /** The variances {@link #rewrite} rewrites, in graph order. */
  static List<Variance> find(GraphDef graph, Collection<String> inputNodes, Collection<String> outputNodes) {
    NodeIndex index = new NodeIndex(graph);
    Set<String> dataPath = index.dataPath(inputNodes, outputNodes);
    Set<String> outputs = new HashSet<>(outputNodes);
    List<Variance> found = new ArrayList<>();
    for (NodeDef node : graph.getNodeList()) {
      if (node.getOp().equals("Mean") && dataPath.contains(node.getName()) && !outputs.contains(node.getName())
          && isFloat(node)) {
        variance(index, node).ifPresent(found::add);
      }
    }
    return found;
  }

  /** {@code node} as the variance of tf.nn.moments: Mean(SquaredDifference(x, StopGradient(Mean(x, a))), a). */
  private static Optional<Variance> variance(NodeIndex index, NodeDef node) {
    NodeDef squared = producer(index, index.input(node, 0), "SquaredDifference");
    if (squared == null) {
      return Optional.empty();
    }
    TensorName x = index.input(squared, 0);
    NodeDef stop = producer(index, index.input(squared, 1), "StopGradient");
    NodeDef mean = stop == null ? null : producer(index, index.input(stop, 0), "Mean");
    // tf.nn.moments keeps the mean's reduced dimensions, so that x - mean subtracts each row's own mean; without
    // them the mean would broadcast along another axis, and the expression is no variance.
    if (mean == null || !index.input(mean, 0).equals(x)
        || !mean.getAttrOrDefault("keep_dims", AttrValue.getDefaultInstance()).getB()) {
      return Optional.empty();
    }
    Optional<long[]> axes = constant(index, index.input(node, 1));
    Optional<long[]> meanAxes = constant(index, index.input(mean, 1));
    if (axes.isEmpty() || meanAxes.isEmpty() || !Arrays.equals(axes.get(), meanAxes.get())) {
      return Optional.empty();
    }
    return Optional.of(new Variance(node.getName(), x));
  }

  /** The node producing output 0 {@code tensor}, when it is a {@code op}; else null. */
  private static NodeDef producer(NodeIndex index, TensorName tensor, String op) {
    if (tensor.index() != 0 || !index.contains(tensor.node())) {
      return null;
    }
    NodeDef node = index.node(tensor.node());
    return node.getOp().equals(op) ? node : null;
  }

  private static Optional<long[]> constant(NodeIndex index, TensorName tensor) {
    NodeDef node = producer(index, tensor, "Const");
    return node == null ? Optional.empty()
        : IntConstant.values(node.getAttrOrDefault("value", AttrValue.getDefaultInstance()).getTensor());
  }

  private static boolean isFloat(NodeDef node) {
    return node.getAttrOrDefault("T", AttrValue.getDefaultInstance()).getType() == DataType.DT_FLOAT;
  }

  /**
   * float32(max(mean(x^2) - mean(x)^2, 0)) with x and both means in float64, reduced as the variance's Mean reduces
   * (its axes and keep_dims), under the variance's name and with its control inputs.
   */
  private static void addOnePassForm(GraphDef.Builder out, NodeDef variance, Variance found, Set<String> names) {
    String device = variance.getDevice();
    String scope = OpNames.unique(variance.getName() + "/" + SCOPE, names);
    String axes = variance.getInput(1);
    String wide = OpNames.unique(scope + "/float64", names);
    String squares = OpNames.unique(scope + "/squares", names);
    String meanSquare = OpNames.unique(scope + "/mean_square", names);
    String mean = OpNames.unique(scope + "/mean", names);
    String squaredMean = OpNames.unique(scope + "/squared_mean", names);
    String difference = OpNames.unique(scope + "/difference", names);
    String zero = OpNames.unique(scope + "/zero", names);
    String clamped = OpNames.unique(scope + "/clamped", names);
    out.addNode(cast(wide, found.x().toString(), DataType.DT_FLOAT, DataType.DT_DOUBLE, device));
    out.addNode(unary("Square", squares, wide, DataType.DT_DOUBLE, device));
    out.addNode(reducedAs(variance, meanSquare, squares, axes));
    out.addNode(reducedAs(variance, mean, wide, axes));
    out.addNode(unary("Square", squaredMean, mean, DataType.DT_DOUBLE, device));
    out.addNode(binary("Sub", difference, meanSquare, squaredMean, DataType.DT_DOUBLE, device));
    out.addNode(NodeDef.newBuilder().setName(zero).setOp("Const").setDevice(device)
        .putAttr("dtype", typeAttr(DataType.DT_DOUBLE))
        .putAttr("value", AttrValue.newBuilder().setTensor(TensorProto.newBuilder().setDtype(DataType.DT_DOUBLE)
            .setTensorShape(TensorShapeProto.getDefaultInstance()).addDoubleVal(0)).build()).build());
    out.addNode(binary("Maximum", clamped, difference, zero, DataType.DT_DOUBLE, device));
    NodeDef.Builder named = cast(variance.getName(), clamped, DataType.DT_DOUBLE, DataType.DT_FLOAT, device)
        .toBuilder();
    variance.getInputList().stream().filter(i -> i.startsWith("^")).forEach(named::addInput);
    out.addNode(named);
  }

  private static NodeDef cast(String name, String input, DataType from, DataType to, String device) {
    return NodeDef.newBuilder().setName(name).setOp("Cast").setDevice(device).addInput(input)
        .putAttr("SrcT", typeAttr(from)).putAttr("DstT", typeAttr(to))
        .putAttr("Truncate", AttrValue.newBuilder().setB(false).build()).build();
  }

  /** A float64 Mean of {@code input} over {@code axes} as the variance reduces (its index type and keep_dims). */
  private static NodeDef reducedAs(NodeDef variance, String name, String input, String axes) {
    return NodeDef.newBuilder().setName(name).setOp("Mean").setDevice(variance.getDevice()).addInput(input)
        .addInput(axes).putAllAttr(variance.getAttrMap()).putAttr("T", typeAttr(DataType.DT_DOUBLE)).build();
  }
}
