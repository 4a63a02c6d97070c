package dev.finetune.vblora.model;

import static dev.finetune.vblora.model.NodeDefs.binary;
import static dev.finetune.vblora.model.NodeDefs.reduction;
import static dev.finetune.vblora.model.NodeDefs.unary;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.ReduceSum;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.types.TFloat32;

/**
 * Writes every float32 Softmax on a training graph's data path as exp(x - logsumexp(x)) ({@link
 * SoftmaxForm#LOG_SUM_EXP}), with TensorFlow's own softmax gradient, dx = y (dy - sum(dy y)), computed from the
 * output y.
 *
 * <p>Why: XLA compiles TensorFlow's softmax, exp(x - max) / sum(exp(x - max)), into four kernels, and the exponential
 * is read by two of them (the sum and the division), so XLA writes it out: each of BERT-base's [32, 12, 128, 128]
 * float32 attention softmaxes reads x twice, writes and reads exp, and writes y (lease AC's trace, docs/benchmarks.md,
 * issue 16). Written from the log-sum-exp, the exponential feeds the sum alone and fuses into its kernel; the output
 * exp(x - max - log sum) reads x once more: three kernels, one tensor of that size less written and read per softmax.
 * TensorFlow's gradient of this form would run through the max and the log-sum, so the value is computed from a
 * StopGradient of x and goes through an {@code IdentityN} marker whose gradient ({@link MarkerGradients}) is the
 * softmax gradient TensorFlow's Softmax has.
 *
 * <p>A Softmax that computes a signature output is left as it is: a trainer's loss on the model's own probabilities
 * reads the logits behind it ({@code OwnOutputLoss}), and the output's gradient is never taken.
 *
 * <p>The values are the softmax's up to rounding: exp(d - log s) rounds differently from exp(d) / s, by about 1e-7
 * relative times |d - log s|. Masked logits (-1e4, -1e9, the float's lowest) still give 0, and a row whose logits are
 * all -inf gives NaN, as TensorFlow's Softmax does.
 */
public final class LogSumExpSoftmax {
  /** The marker's name suffix. */
  static final String MARKER = "vblora_softmax_lse";

  private LogSumExpSoftmax() {}

  /**
   * @param inputNodes the signature's input nodes and {@code outputNodes} its output nodes: the data path between
   *     them is where Softmax ops are rewritten
   * @return the graph with those Softmax ops rewritten; the same graph when there is none, or when this process
   *     cannot register the marker's gradient
   */
  public static GraphDef rewrite(GraphDef graph, Collection<String> inputNodes, Collection<String> outputNodes) {
    NodeIndex index = new NodeIndex(graph);
    Set<String> dataPath = index.dataPath(inputNodes, outputNodes);
    // A signature output computed by a Softmax stays one: a loss on the model's own probabilities reads the
    // logits behind it (and so never differentiates it).
    Set<String> outputs = OutputProducer.ofNodes(index, outputNodes);
    Set<String> softmaxes = new HashSet<>();
    for (NodeDef node : graph.getNodeList()) {
      if (node.getOp().equals("Softmax") && dataPath.contains(node.getName()) && !outputs.contains(node.getName())
          && node.getInputCount() > 0
          && node.getAttrOrDefault("T", AttrValue.getDefaultInstance()).getType() == DataType.DT_FLOAT) {
        softmaxes.add(node.getName());
      }
    }
    if (softmaxes.isEmpty() || !MarkerGradients.registered()) {
      return graph;
    }
    Set<String> names = new HashSet<>();
    graph.getNodeList().forEach(n -> names.add(n.getName()));
    GraphDef.Builder out = graph.toBuilder().clearNode();
    for (NodeDef node : graph.getNodeList()) {
      if (softmaxes.contains(node.getName())) {
        addLogSumExpForm(out, node, names);
      } else {
        out.addNode(node);
      }
    }
    return out.build();
  }

  /**
   * y = exp(d - log(sum(exp(d)))), d = x - max(x), from StopGradient(x), through the marker; an Identity with the
   * Softmax's name (and its control inputs) keeps every reader's input as it was.
   */
  private static void addLogSumExpForm(GraphDef.Builder out, NodeDef softmax, Set<String> names) {
    String device = softmax.getDevice();
    String scope = OpNames.unique(softmax.getName() + "/" + MARKER, names);
    String x = softmax.getInput(0);
    String stop = OpNames.unique(scope + "/stop_gradient", names);
    String axis = OpNames.unique(scope + "/last_axis", names);
    String max = OpNames.unique(scope + "/max", names);
    String shifted = OpNames.unique(scope + "/shifted", names);
    String exp = OpNames.unique(scope + "/exp", names);
    String sum = OpNames.unique(scope + "/sum", names);
    String log = OpNames.unique(scope + "/log_sum", names);
    String exponent = OpNames.unique(scope + "/exponent", names);
    String value = OpNames.unique(scope + "/value", names);
    out.addNode(unary("StopGradient", stop, x, DataType.DT_FLOAT, device));
    out.addNode(IntConstant.vector(axis, DataType.DT_INT32, -1).toBuilder().setDevice(device).build());
    out.addNode(reduction("Max", max, stop, axis, DataType.DT_FLOAT, device));
    out.addNode(binary("Sub", shifted, stop, max, DataType.DT_FLOAT, device));
    out.addNode(unary("Exp", exp, shifted, DataType.DT_FLOAT, device));
    out.addNode(reduction("Sum", sum, exp, axis, DataType.DT_FLOAT, device));
    out.addNode(unary("Log", log, sum, DataType.DT_FLOAT, device));
    out.addNode(binary("Sub", exponent, shifted, log, DataType.DT_FLOAT, device));
    out.addNode(unary("Exp", value, exponent, DataType.DT_FLOAT, device));
    out.addNode(NodeDefs.marker(scope, device, List.of(value, x), List.of(DataType.DT_FLOAT, DataType.DT_FLOAT)));
    NodeDef.Builder named = unary("Identity", softmax.getName(), scope + ":0", DataType.DT_FLOAT, device).toBuilder();
    softmax.getInputList().stream().filter(i -> i.startsWith("^")).forEach(named::addInput);
    out.addNode(named);
  }

  /** The marker's gradient: nothing to the value (it reads StopGradient(x)), y (dy - sum(dy y)) to x. */
  static List<Operand<?>> gradient(Ops tf, GraphOperation op, List<Output<?>> grads) {
    List<Operand<?>> out = new ArrayList<>();
    out.add(tf.zerosLike(op.input(0)));
    if (grads.get(0) == null) {
      out.add(tf.zerosLike(op.input(1)));
      return out;
    }
    Output<TFloat32> y = op.input(0).expect(TFloat32.class);
    Operand<TFloat32> dy = grads.get(0).expect(TFloat32.class);
    Operand<TFloat32> dot = tf.reduceSum(tf.math.mul(dy, y), tf.constant(-1), ReduceSum.keepDims(true));
    out.add(tf.math.mul(y, tf.math.sub(dy, dot)));
    return out;
  }
}
