package dev.finetune.vblora.model;

import static dev.finetune.vblora.model.NodeDefs.binary;
import static dev.finetune.vblora.model.NodeDefs.cast;
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
 * StopGradient on the mean changes nothing, since sum(x - mean) = 0). {@link MomentsForm#ONE_PASS} lets TensorFlow
 * differentiate the float64 ops; on an H100 XLA then ran 25 element-wise kernels more in the backward pass (lease AE,
 * docs/benchmarks.md), which gave back most of what the forward pass saved.
 * {@link MomentsForm#ONE_PASS_EXPORTED_GRADIENT} computes the value from StopGradient(x) and passes it through an
 * {@code IdentityN} marker whose gradient ({@link MarkerGradients}) is the exported form's own, in float32, with the
 * ops TensorFlow's Mean and SquaredDifference gradients use: the backward pass is the model's.
 *
 * <p>Recognised: Mean(SquaredDifference(x, StopGradient(m)), axes) where m = Mean(x, axes, keep_dims=true) with
 * equal constant axes, float32; anything else is left as it is.
 */
public final class OnePassMoments {
  /** The scope suffix of a rewritten variance's ops, and the name of its marker. */
  static final String SCOPE = "vblora_one_pass";

  private OnePassMoments() {}

  /**
   * One variance of tf.nn.moments.
   *
   * @param variance the Mean node that computes it
   * @param x the tensor whose moments they are
   * @param mean the mean the variance is taken around (tf.nn.moments' mean, its reduced dimensions kept)
   */
  record Variance(String variance, TensorName x, TensorName mean) {}

  /**
   * @param inputNodes the signature's input nodes and {@code outputNodes} its output nodes: the data path between
   *     them is where variances are rewritten
   * @param form {@link MomentsForm#ONE_PASS} or {@link MomentsForm#ONE_PASS_EXPORTED_GRADIENT} (which falls back to
   *     the first where this process cannot register the marker's gradient)
   * @return the graph with those variances rewritten; the same graph when there is none
   */
  public static GraphDef rewrite(GraphDef graph, Collection<String> inputNodes, Collection<String> outputNodes,
      MomentsForm form) {
    if (form == MomentsForm.AS_EXPORTED) {
      throw new IllegalArgumentException("rewrite writes a one-pass form, not " + form);
    }
    boolean marked = form == MomentsForm.ONE_PASS_EXPORTED_GRADIENT && MarkerGradients.registered();
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
        addOnePassForm(out, node, variance, names, marked);
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
    return Optional.of(new Variance(node.getName(), x, index.input(stop, 0)));
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
   * (its axes and keep_dims), under the variance's name and with its control inputs; with {@code marked}, computed
   * from StopGradient(x) and passed through the marker IdentityN(value, x, mean).
   */
  private static void addOnePassForm(GraphDef.Builder out, NodeDef variance, Variance found, Set<String> names,
      boolean marked) {
    String device = variance.getDevice();
    String scope = OpNames.unique(variance.getName() + "/" + SCOPE, names);
    String axes = variance.getInput(1);
    String source = found.x().toString();
    if (marked) {
      source = OpNames.unique(scope + "/stop_gradient", names);
      out.addNode(unary("StopGradient", source, found.x().toString(), DataType.DT_FLOAT, device));
    }
    String wide = OpNames.unique(scope + "/float64", names);
    String squares = OpNames.unique(scope + "/squares", names);
    String meanSquare = OpNames.unique(scope + "/mean_square", names);
    String mean = OpNames.unique(scope + "/mean", names);
    String squaredMean = OpNames.unique(scope + "/squared_mean", names);
    String difference = OpNames.unique(scope + "/difference", names);
    String zero = OpNames.unique(scope + "/zero", names);
    String clamped = OpNames.unique(scope + "/clamped", names);
    out.addNode(cast(wide, source, DataType.DT_FLOAT, DataType.DT_DOUBLE, device));
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
    String rounded = marked ? OpNames.unique(scope + "/value", names) : variance.getName();
    NodeDef.Builder value = cast(rounded, clamped, DataType.DT_DOUBLE, DataType.DT_FLOAT, device).toBuilder();
    if (marked) {
      out.addNode(value);
      out.addNode(NodeDefs.marker(scope, device, List.of(rounded, found.x().toString(), found.mean().toString()),
          List.of(DataType.DT_FLOAT, DataType.DT_FLOAT, DataType.DT_FLOAT)));
      value = unary("Identity", variance.getName(), scope + ":0", DataType.DT_FLOAT, device).toBuilder();
    }
    variance.getInputList().stream().filter(i -> i.startsWith("^")).forEach(value::addInput);
    out.addNode(value);
  }

  /**
   * The marker's gradient: nothing to the value (it reads StopGradient(x)) nor to the mean (tf.nn.moments stops it),
   * and to x what TensorFlow's gradients of Mean and SquaredDifference give the exported form: dvar, reshaped to the
   * mean's kept dimensions, divided by n (x's elements per variance), times 2 (x - mean).
   */
  static List<Operand<?>> gradient(Ops tf, GraphOperation op, List<Output<?>> grads) {
    List<Operand<?>> out = new ArrayList<>();
    out.add(tf.zerosLike(op.input(0)));
    Output<TFloat32> x = op.input(1).expect(TFloat32.class);
    Output<TFloat32> mean = op.input(2).expect(TFloat32.class);
    if (grads.get(0) == null) {
      out.add(tf.zerosLike(x));
    } else {
      Operand<TFloat32> dvar = tf.reshape(grads.get(0).expect(TFloat32.class), tf.shape(mean));
      Operand<TFloat32> n = tf.dtypes.cast(tf.math.floorDiv(tf.size(x), tf.math.maximum(tf.size(mean),
          tf.constant(1))), TFloat32.class);
      Operand<TFloat32> perElement = tf.math.mul(tf.constant(2f), tf.math.div(dvar, n));
      out.add(tf.math.mul(perElement, tf.math.sub(x, mean)));
    }
    out.add(tf.zerosLike(mean));
    return out;
  }

  /** A float64 Mean of {@code input} over {@code axes} as the variance reduces (its index type and keep_dims). */
  private static NodeDef reducedAs(NodeDef variance, String name, String input, String axes) {
    return NodeDef.newBuilder().setName(name).setOp("Mean").setDevice(variance.getDevice()).addInput(input)
        .addInput(axes).putAllAttr(variance.getAttrMap()).putAttr("T", typeAttr(DataType.DT_DOUBLE)).build();
  }
}
