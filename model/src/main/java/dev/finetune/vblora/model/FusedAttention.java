package dev.finetune.vblora.model;

import static dev.finetune.vblora.model.NodeDefs.binary;
import static dev.finetune.vblora.model.NodeDefs.reduction;
import static dev.finetune.vblora.model.NodeDefs.typeAttr;
import static dev.finetune.vblora.model.NodeDefs.unary;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.ArrayList;
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
import org.tensorflow.op.core.ReduceSum;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TFloat32;

/**
 * Puts a bfloat16 graph's attention cores (scores = Q K^T, scaled, masked, softmax, times V) in the form XLA's cuDNN
 * fused-attention rewriter recognises, so that {@code --xla_gpu_enable_cudnn_fmha=true} turns each layer's
 * attention, forward and backward, into one flash-attention kernel each.
 *
 * <p>Why a rewrite: the rewriter (TensorFlow 2.18's XLA, {@code cudnn_fused_mha_rewriter.cc}) matches the HLO that
 * JAX's autodiff of {@code exp(x - max) / sum(exp(x - max))} produces. TensorFlow's Softmax gradient is a different
 * expression ({@code (dy - sum(dy * p)) * p}), so the rewriter took the graph for inference and skipped it (its log:
 * "cannot have more than 1 users in non-training mode"). Here the Softmax becomes that explicit form, and its
 * gradient becomes the one the rewriter looks for:
 *
 * <pre>
 *   d logits = bf16( e * (dy / s - sum(dy * (1 / s^2) * e)) ),   e = exp(x - max x), s = sum e, x = f32(logits)
 * </pre>
 *
 * <p>Graph.addGradients cannot be told to use another gradient for one Softmax, and a C++ gradient cannot be
 * replaced. So the forward value goes through an {@code IdentityN} marker whose inputs are the softmax (computed
 * from a StopGradient of its input, so no gradient flows through it) and the bfloat16 logits, and the marker's
 * gradient, registered once per process ({@link MarkerGradients}), maps the gradient of the probabilities to
 * the logits' gradient with the expression above; TensorFlow's own gradients of the bias add and the scale take it
 * on to the scores. IdentityN has no C++ gradient in TensorFlow 2.18; any other IdentityN passes its gradients
 * through unchanged, as Python's TensorFlow does.
 *
 * <p>The logits are formed in bfloat16, as JAX's bfloat16 attention forms them: the scores' product, times the
 * scale, plus the mask cast to bfloat16, and only then converted to float32 for the softmax. The rewriter never
 * tells cuDNN the bias's type, so cuDNN reads it as the attention's own (bfloat16), and it hands the backward
 * kernel the bias operand it matched: a float32 bias (the form of f4b64e5, whose mask was rounded to bfloat16 and
 * back) reached the backward pass as float32 read as bfloat16, and training with it went wrong (docs/results.md).
 * Added in bfloat16, the bias the forward and the backward kernels read is one bfloat16 tensor. A mask of 0 and
 * -10000 stays a mask; the logits carry bfloat16's rounding into the softmax, as under autocast.
 *
 * <p>Only attention cores whose every step is the form above are rewritten: a bfloat16 BatchMatMul cast to float32
 * (as {@link Bfloat16Gemms} leaves it), optionally times or divided by a scalar constant, optionally plus a bias,
 * then a Softmax read only by one cast to bfloat16 that feeds a BatchMatMul. Anything else is left as it was.
 * Without the flag XLA runs the form as it is: TensorFlow's softmax of the bfloat16 logits (its gradient is the
 * softmax gradient written differently), where a graph without this rewrite forms the logits in float32. float32
 * graphs are never touched.
 */
public final class FusedAttention {
  /** The marker's name suffix. */
  static final String MARKER = "vblora_fused_attention";
  private static final Set<String> BATCH_PRODUCTS = Set.of("BatchMatMul", "BatchMatMulV2", "BatchMatMulV3");

  private FusedAttention() {}

  /**
   * One attention core found in a graph.
   *
   * @param softmax the Softmax
   * @param replaced the nodes between the scores' product and the Softmax (the cast to float32, the scale, the
   *     bias add), each read only by the next, which the bfloat16 logits replace
   * @param bias the additive bias (the mask) as a tensor name, or null
   * @param scale the scores' scale, 1 when there is none
   * @param scores the bfloat16 product's output
   */
  record Core(NodeDef softmax, Set<String> replaced, String bias, float scale, String scores) {}

  /**
   * @param outputNodes nodes read from outside the graph (the signature's outputs): a core whose replaced nodes
   *     hold one is left as it is
   * @return the graph with every matching attention core rewritten; the same graph when none matches
   * @throws VbLoraException when cores match but this process cannot give the form its gradient (other code
   *     registered a gradient for IdentityN first)
   */
  public static GraphDef rewrite(GraphDef graph, Collection<String> outputNodes) {
    List<Core> cores = find(graph, outputNodes);
    if (cores.isEmpty()) {
      return graph;
    }
    if (!gradientRegistered()) {
      throw new VbLoraException("the fused attention form needs its own gradient for IdentityN, and this process "
          + "already has one (registered by other code before vblora's); train without fused attention");
    }
    Set<String> names = new HashSet<>();
    graph.getNodeList().forEach(n -> names.add(n.getName()));
    Map<String, Core> bySoftmax = new HashMap<>();
    cores.forEach(c -> bySoftmax.put(c.softmax().getName(), c));
    GraphDef.Builder out = graph.toBuilder().clearNode();
    Set<String> replaced = new HashSet<>();
    cores.forEach(c -> replaced.addAll(c.replaced()));
    for (NodeDef node : graph.getNodeList()) {
      Core core = bySoftmax.get(node.getName());
      if (core != null) {
        addExplicitSoftmax(out, core, addBfloat16Logits(out, core, names), names);
      } else if (!replaced.contains(node.getName())) {
        out.addNode(node);
      }
    }
    return out.build();
  }

  /**
   * The attention cores of {@code graph} that have the form the class comment describes and whose replaced nodes
   * nothing else needs: no output among them and no control edge from them (the rewrite removes them).
   */
  static List<Core> find(GraphDef graph, Collection<String> outputNodes) {
    NodeIndex index = new NodeIndex(graph);
    Set<String> kept = index.pinned(outputNodes);
    List<Core> cores = new ArrayList<>();
    for (NodeDef node : graph.getNodeList()) {
      if (node.getOp().equals("Softmax") && type(node, "T") == DataType.DT_FLOAT) {
        match(index, node).filter(core -> core.replaced().stream().noneMatch(kept::contains)).ifPresent(cores::add);
      }
    }
    return cores;
  }

  private static Optional<Core> match(NodeIndex index, NodeDef softmax) {
    List<String> readers = index.consumers(softmax.getName());
    if (readers.size() != 1
        || !Bfloat16Gemms.isCast(index.node(readers.get(0)), DataType.DT_FLOAT, DataType.DT_BFLOAT16)
        || !readsOnlyIntoBatchProduct(index, readers.get(0))) {
      return Optional.empty();
    }
    TensorName logits = index.input(softmax, 0);
    if (logits.index() != 0 || index.consumers(logits.node()).size() != 1) {
      return Optional.empty();
    }
    NodeDef add = index.node(logits.node());
    if (add.getOp().equals("Add") || add.getOp().equals("AddV2")) {
      for (int side = 0; side < 2; side++) {
        Optional<Core> core = scaledScores(index, softmax, index.input(add, side), index.input(add, 1 - side),
            add.getName());
        if (core.isPresent()) {
          return core;
        }
      }
      return Optional.empty();
    }
    return scaledScores(index, softmax, logits, null, null);
  }

  /** scaled = cast(bf16 product) [* or / scalar constant]; bias and add may be null. */
  private static Optional<Core> scaledScores(NodeIndex index, NodeDef softmax, TensorName scaled, TensorName bias,
      String add) {
    if (scaled.index() != 0 || index.consumers(scaled.node()).size() != 1) {
      return Optional.empty();
    }
    NodeDef node = index.node(scaled.node());
    float scale = 1f;
    TensorName cast = scaled;
    if (node.getOp().equals("Mul") || node.getOp().equals("RealDiv") || node.getOp().equals("Div")) {
      // Div on floats divides as RealDiv does (TF-Java's math.div writes Div; Python's / writes RealDiv).
      boolean divide = !node.getOp().equals("Mul");
      Optional<Float> right = scalar(index, index.input(node, 1));
      Optional<Float> left = divide ? Optional.empty() : scalar(index, index.input(node, 0));
      if (right.isPresent()) {
        scale = divide ? 1f / right.get() : right.get();
        cast = index.input(node, 0);
      } else if (left.isPresent()) {
        scale = left.get();
        cast = index.input(node, 1);
      } else {
        return Optional.empty();
      }
      if (cast.index() != 0 || index.consumers(cast.node()).size() != 1) {
        return Optional.empty();
      }
    }
    NodeDef castNode = index.node(cast.node());
    if (!Bfloat16Gemms.isCast(castNode, DataType.DT_BFLOAT16, DataType.DT_FLOAT)) {
      return Optional.empty();
    }
    TensorName scores = index.input(castNode, 0);
    NodeDef product = index.node(scores.node());
    if (!BATCH_PRODUCTS.contains(product.getOp()) || index.consumers(product.getName()).size() != 1) {
      return Optional.empty();
    }
    Set<String> replaced = new HashSet<>(List.of(castNode.getName(), scaled.node()));
    if (add != null) {
      replaced.add(add);
    }
    return Optional.of(new Core(softmax, Set.copyOf(replaced), bias == null ? null : bias.toString(), scale,
        scores.toString()));
  }

  private static boolean readsOnlyIntoBatchProduct(NodeIndex index, String cast) {
    List<String> readers = index.consumers(cast);
    return readers.size() == 1 && BATCH_PRODUCTS.contains(index.node(readers.get(0)).getOp());
  }

  /** The value of a float32 scalar Const, if {@code tensor} is one. */
  private static Optional<Float> scalar(NodeIndex index, TensorName tensor) {
    NodeDef node = index.node(tensor.node());
    if (!node.getOp().equals("Const") || type(node, "dtype") != DataType.DT_FLOAT) {
      return Optional.empty();
    }
    TensorProto value = node.getAttrOrThrow("value").getTensor();
    if (value.getTensorShape().getDimList().stream().anyMatch(d -> d.getSize() != 1)) {
      return Optional.empty();
    }
    return ScalarConstant.of(value);
  }

  /**
   * The bfloat16 logits: the scores times the scale (as a bfloat16 constant), plus the bias cast to bfloat16.
   *
   * @return the logits' node name
   */
  private static String addBfloat16Logits(GraphDef.Builder out, Core core, Set<String> names) {
    String device = core.softmax().getDevice();
    String scope = core.softmax().getName() + "/" + MARKER;
    String logits = core.scores();
    if (core.scale() != 1f) {
      String scale = OpNames.unique(scope + "/scale", names);
      String scaleBf16 = OpNames.unique(scope + "/scale_bfloat16", names);
      String scaled = OpNames.unique(scope + "/scaled", names);
      out.addNode(NodeDef.newBuilder().setName(scale).setOp("Const").setDevice(device)
          .putAttr("dtype", typeAttr(DataType.DT_FLOAT))
          .putAttr("value", AttrValue.newBuilder().setTensor(TensorProto.newBuilder().setDtype(DataType.DT_FLOAT)
              .setTensorShape(TensorShapeProto.getDefaultInstance()).addFloatVal(core.scale())).build())
          .build());
      out.addNode(NodeDefs.cast(scaleBf16, scale, DataType.DT_FLOAT, DataType.DT_BFLOAT16, device));
      out.addNode(binary("Mul", scaled, logits, scaleBf16, DataType.DT_BFLOAT16, device));
      logits = scaled;
    }
    if (core.bias() != null) {
      String biasBf16 = OpNames.unique(scope + "/bias_bfloat16", names);
      String masked = OpNames.unique(scope + "/logits", names);
      out.addNode(NodeDefs.cast(biasBf16, core.bias(), DataType.DT_FLOAT, DataType.DT_BFLOAT16, device));
      out.addNode(binary("AddV2", masked, logits, biasBf16, DataType.DT_BFLOAT16, device));
      logits = masked;
    }
    return logits;
  }

  /**
   * softmax(x) as exp(x - max) / sum, computed from StopGradient(x), through the marker; an Identity with the
   * Softmax's name keeps every reader's input as it was.
   */
  private static void addExplicitSoftmax(GraphDef.Builder out, Core core, String logits, Set<String> names) {
    NodeDef softmax = core.softmax();
    String device = softmax.getDevice();
    String scope = softmax.getName() + "/" + MARKER;
    String float32 = OpNames.unique(scope + "/logits_float32", names);
    String axis = OpNames.unique(scope + "/axis", names);
    String stop = OpNames.unique(scope + "/stop_gradient", names);
    String max = OpNames.unique(scope + "/max", names);
    String maxFloat32 = OpNames.unique(scope + "/max_float32", names);
    String shifted = OpNames.unique(scope + "/shifted", names);
    String exp = OpNames.unique(scope + "/exp", names);
    String sum = OpNames.unique(scope + "/sum", names);
    String probabilities = OpNames.unique(scope + "/probabilities", names);
    String marker = OpNames.unique(scope, names);
    out.addNode(IntConstant.scalar(axis, DataType.DT_INT32, -1).toBuilder().setDevice(device).build());
    // The max is taken over the bfloat16 logits themselves (exactly the max of their float32 values): the rewriter
    // wants the tensor the bias add makes read twice, by the max and by the float32 conversion the softmax starts
    // from; a max over the converted logits left it one reader, and nothing matched (lease S's fmha-dump).
    out.addNode(unary("StopGradient", stop, logits, DataType.DT_BFLOAT16, device));
    out.addNode(reduction("Max", max, stop, axis, DataType.DT_BFLOAT16, device));
    out.addNode(NodeDefs.cast(float32, stop, DataType.DT_BFLOAT16, DataType.DT_FLOAT, device));
    out.addNode(NodeDefs.cast(maxFloat32, max, DataType.DT_BFLOAT16, DataType.DT_FLOAT, device));
    out.addNode(binary("Sub", shifted, float32, maxFloat32, DataType.DT_FLOAT, device));
    out.addNode(unary("Exp", exp, shifted, DataType.DT_FLOAT, device));
    out.addNode(reduction("Sum", sum, exp, axis, DataType.DT_FLOAT, device));
    out.addNode(binary("RealDiv", probabilities, exp, sum, DataType.DT_FLOAT, device));
    out.addNode(NodeDefs.marker(marker, device, List.of(probabilities, logits),
        List.of(DataType.DT_FLOAT, DataType.DT_BFLOAT16)));
    out.addNode(unary("Identity", softmax.getName(), marker + ":0", DataType.DT_FLOAT, device));
  }

  // ---- the marker's gradient ----

  /**
   * Registers the markers' gradient (IdentityN's, {@link MarkerGradients}) once per process; false when IdentityN
   * already had one.
   */
  static boolean gradientRegistered() {
    return MarkerGradients.registered();
  }

  /** The marker's gradient: the logits' gradient from the probabilities' (the expression in the class comment). */
  static List<Operand<?>> gradient(Ops tf, GraphOperation op, List<Output<?>> grads) {
    List<Operand<?>> out = new ArrayList<>();
    GraphOperation division = (GraphOperation) op.input(0).op();
    Output<TFloat32> exp = division.input(0).expect(TFloat32.class);
    Output<TFloat32> sum = division.input(1).expect(TFloat32.class);
    Operand<TFloat32> dy = grads.get(0).expect(TFloat32.class);
    Operand<TFloat32> inverseSquare = tf.math.reciprocal(tf.math.square(sum));
    // Broadcast explicitly: Grappler turns Add(a, Neg(b)) into Sub(a, b), which the rewriter does not match.
    Operand<TFloat32> throughSum = tf.broadcastTo(tf.math.neg(tf.reduceSum(
        tf.math.mul(tf.math.mul(dy, inverseSquare), exp), tf.constant(-1), ReduceSum.keepDims(true))), tf.shape(dy));
    Operand<TFloat32> dLogits = tf.math.mul(tf.math.add(tf.math.div(dy, sum), throughSum), exp);
    out.add(tf.zerosLike(op.input(0)));
    out.add(tf.dtypes.cast(dLogits, TBfloat16.class));
    return out;
  }

  private static DataType type(NodeDef node, String attr) {
    AttrValue value = node.getAttrMap().get(attr);
    return value == null ? DataType.DT_INVALID : value.getType();
  }
}
