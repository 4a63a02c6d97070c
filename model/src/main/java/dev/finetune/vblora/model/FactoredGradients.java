package dev.finetune.vblora.model;

import static dev.finetune.vblora.model.NodeDefs.typeAttr;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.op.Ops;
import org.tensorflow.op.linalg.MatMul;
import org.tensorflow.op.train.BatchMatMul;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TNumber;
import org.tensorflow.types.family.TType;

/**
 * The {@link UpdateForm#MERGED_FACTORED} form: the merged form's forward pass, x (W + s A B), with the adapter's
 * gradients taken through the factors instead of through the dense delta.
 *
 * <p>Why: differentiated as written, x (W + s A B) gives the delta the gradient x^T dy, an [in, out] product over
 * every row of the batch (for BERT-base at 32 x 128, 4096 x 768 x 768 per kernel), from which A's and B's
 * gradients are small products. In float32 that weight-gradient product runs in cuBLAS's Ampere-era kernels
 * (docs/benchmarks.md, issue 16: 63-65 us plus a reduction per layer for q and v together, about a tenth of the
 * step). The same gradients through rank r are
 *
 * <pre>
 *   d(s A) = x^T (dy B^T)        dB = (x (s A))^T dy
 * </pre>
 *
 * four thin products that each read one activation once. The forward pass is untouched.
 *
 * <p>How: the delta a merged product adds to its weight is read through a StopGradient, so TensorFlow forms no
 * gradient for it, and the product's output goes through an {@code IdentityN} marker that also reads x, s A and B;
 * the marker's gradient ({@link MarkerGradients}) passes dy on to the product (which gives x its gradient,
 * dy (W + s A B)^T, as before) and returns the two factor gradients above. Products of a transposed activation
 * (transpose_a) keep the merged form's gradient, as does a weight sum read by anything but products.
 */
final class FactoredGradients {
  /** The marker's name suffix. */
  static final String MARKER = "vblora_factored_gradient";

  private FactoredGradients() {}

  /**
   * A graph with the merged products of the adapters' deltas marked.
   *
   * @param graph the rewritten graph
   * @param unmarked per adapted kernel with a product this form could not mark (which keeps the merged form's
   *     gradient), why; kernels applied only by Einsums (low-rank in both merged forms) are not listed
   */
  record Marked(GraphDef graph, Map<String, String> unmarked) {
    Marked {
      unmarked = Map.copyOf(unmarked);
    }
  }

  /**
   * @param targets the adapted kernels, whose {@link AdaptedTarget#delta() delta} each merged product adds to its
   *     weight
   * @return the graph with every merged product of those deltas marked, and the kernels with products it could not
   *     mark; the same graph when there is none, or when this process cannot register the markers' gradient (then
   *     the merged form's own gradient applies, and every kernel is listed)
   */
  static Marked rewrite(GraphDef graph, List<AdaptedTarget> targets) {
    Map<String, String> unmarked = new LinkedHashMap<>();
    List<AdaptedTarget> merged = targets.stream().filter(FactoredGradients::hasMergedProducts).toList();
    if (!MarkerGradients.registered()) {
      merged.forEach(t -> unmarked.put(t.kernel().name(), "this platform's TF-Java registers no custom gradients"));
      return new Marked(graph, unmarked);
    }
    Map<String, AdaptedTarget> byDelta = new HashMap<>();
    merged.forEach(t -> byDelta.put(TensorName.parse(t.delta()).toString(), t));
    NodeIndex index = new NodeIndex(graph);
    // Each weight sum W + delta (an Add reading a target's delta) whose value reaches only plain products, which
    // read it as their weight, directly or through casts (a bfloat16 graph casts the float32 sum).
    Map<String, String> sumDelta = new HashMap<>();
    Map<String, AdaptedTarget> products = new HashMap<>();
    Set<String> summed = new HashSet<>();
    for (NodeDef node : graph.getNodeList()) {
      if (!node.getOp().equals("Add") && !node.getOp().equals("AddV2") || node.getInputCount() < 2) {
        continue;
      }
      for (int i = 0; i < 2; i++) {
        String input = TensorName.parse(node.getInput(i)).toString();
        AdaptedTarget target = byDelta.get(input);
        if (target == null) {
          continue;
        }
        summed.add(target.kernel().name());
        List<NodeDef> reached = new ArrayList<>();
        String why = whyNotOnlyProducts(node, index, reached);
        if (why == null) {
          sumDelta.put(node.getName(), input);
          reached.forEach(p -> products.put(p.getName(), target));
        } else {
          unmarked.putIfAbsent(target.kernel().name(), why);
        }
      }
    }
    merged.stream().filter(t -> !summed.contains(t.kernel().name()))
        .forEach(t -> unmarked.put(t.kernel().name(), "no product reads its weight sum W + delta"));
    if (products.isEmpty()) {
      return new Marked(graph, unmarked);
    }
    Set<String> names = new HashSet<>();
    graph.getNodeList().forEach(n -> names.add(n.getName()));
    Map<String, String> stops = new HashMap<>();
    GraphDef.Builder out = graph.toBuilder().clearNode();
    for (NodeDef node : graph.getNodeList()) {
      String delta = sumDelta.get(node.getName());
      if (delta != null) {
        String stop = stops.computeIfAbsent(delta, d -> addStop(out, d, node, names));
        NodeDef.Builder sum = node.toBuilder().clearInput();
        for (String input : node.getInputList()) {
          sum.addInput(TensorName.parse(input).toString().equals(delta) ? stop : input);
        }
        out.addNode(sum);
        continue;
      }
      AdaptedTarget target = products.get(node.getName());
      if (target == null) {
        out.addNode(node);
        continue;
      }
      DataType type = node.getAttrOrThrow("T").getType();
      String marker = OpNames.unique(node.getName() + "/" + MARKER, names);
      String value = OpNames.unique(marker + "/value", names);
      String down = scaledDown(out, target, marker, node, names);
      out.addNode(node.toBuilder().setName(value));
      out.addNode(NodeDefs.marker(marker, node.getDevice(), List.of(value, node.getInput(0), down, target.up()),
          List.of(type, type, DataType.DT_FLOAT, DataType.DT_FLOAT)));
      out.addNode(NodeDefs.unary("Identity", node.getName(), marker + ":0", type, node.getDevice()));
    }
    return new Marked(out.build(), unmarked);
  }

  /** Whether some use of the target's kernel is a MatMul (Einsum uses keep the low-rank form, with no sum). */
  private static boolean hasMergedProducts(AdaptedTarget target) {
    return target.kernel().uses().stream().anyMatch(u -> u.op().equals("MatMul"));
  }

  /**
   * Null when every reader of {@code node}'s output is a product reading it as its weight (collected in {@code
   * products}) or a Cast or Identity whose readers are, in turn; else why not, for a person.
   */
  private static String whyNotOnlyProducts(NodeDef node, NodeIndex index, List<NodeDef> products) {
    List<String> readers = index.consumers(node.getName()); // one output each: Add, Cast, Identity
    if (readers.isEmpty()) {
      return "nothing reads " + node.getName();
    }
    for (String name : readers) {
      NodeDef reader = index.node(name);
      if (reader.getOp().equals("Cast") || reader.getOp().equals("Identity")) {
        String why = whyNotOnlyProducts(reader, index, products);
        if (why != null) {
          return why;
        }
      } else {
        String why = whyNotMarked(reader, node);
        if (why != null) {
          return why;
        }
        products.add(reader);
      }
    }
    return null;
  }

  /**
   * Null when {@code product} reads {@code weight} only as its weight, with a float32 or bfloat16 activation it does
   * not transpose: a product this form marks; else why not, for a person.
   */
  private static String whyNotMarked(NodeDef product, NodeDef weight) {
    if (!product.getOp().equals("MatMul") || product.getInputCount() < 2
        || !TensorName.parse(product.getInput(1)).node().equals(weight.getName())
        || TensorName.parse(product.getInput(0)).node().equals(weight.getName())) {
      return product.getName() + " (" + product.getOp() + ") reads the weight sum W + delta, and only products that "
          + "read it as their weight can be marked";
    }
    AttrValue transposeA = product.getAttrMap().get("transpose_a");
    if (transposeA != null && transposeA.getB()) {
      return "a product transposes its activation (transpose_a)";
    }
    AttrValue type = product.getAttrMap().get("T");
    if (type == null || type.getType() != DataType.DT_FLOAT && type.getType() != DataType.DT_BFLOAT16) {
      return "a product multiplies in " + (type == null ? "no declared type" : type.getType())
          + ", not float32 or bfloat16";
    }
    return null;
  }

  private static String addStop(GraphDef.Builder out, String delta, NodeDef sum, Set<String> names) {
    String stop = OpNames.unique(TensorName.parse(delta).node() + "/" + MARKER + "/stop_gradient", names);
    out.addNode(NodeDef.newBuilder().setName(stop).setOp("StopGradient").setDevice(sum.getDevice())
        .addInput(delta).putAttr("T", typeAttr(DataType.DT_FLOAT)).build());
    return stop;
  }

  /** s A as a tensor name: A itself when s is 1 (VB-LoRA), else A times a constant. */
  private static String scaledDown(GraphDef.Builder out, AdaptedTarget target, String marker, NodeDef product,
      Set<String> names) {
    if (target.scaling() == 1.0) {
      return target.down();
    }
    String scale = OpNames.unique(marker + "/scaling", names);
    String scaled = OpNames.unique(marker + "/scaled_down", names);
    out.addNode(NodeDef.newBuilder().setName(scale).setOp("Const").setDevice(product.getDevice())
        .putAttr("dtype", typeAttr(DataType.DT_FLOAT))
        .putAttr("value", AttrValue.newBuilder().setTensor(TensorProto.newBuilder().setDtype(DataType.DT_FLOAT)
            .setTensorShape(TensorShapeProto.getDefaultInstance()).addFloatVal((float) target.scaling())).build())
        .build());
    out.addNode(NodeDef.newBuilder().setName(scaled).setOp("Mul").setDevice(product.getDevice())
        .addInput(target.down()).addInput(scale).putAttr("T", typeAttr(DataType.DT_FLOAT)).build());
    return scaled;
  }


  /**
   * The marker's gradient: dy on to the product, nothing to x here (the product gives x its gradient), and the
   * factor gradients through rank r. Inputs: the product's output, x [n, in] (both float32, or both bfloat16 in a
   * bfloat16 graph, where the thin products run in bfloat16 too, as the weight-gradient product they replace did),
   * s A [in, r] and B [r, out] (float32).
   */
  static List<Operand<?>> gradient(Ops tf, GraphOperation op, List<Output<?>> grads) {
    List<Operand<?>> out = new ArrayList<>();
    Output<?> dy = grads.get(0);
    out.add(dy != null ? dy : tf.zerosLike(op.input(0)));
    out.add(passed(tf, op, grads, 1));
    if (dy == null) {
      out.add(passed(tf, op, grads, 2));
      out.add(passed(tf, op, grads, 3));
      return out;
    }
    List<Operand<TFloat32>> factors = op.input(1).dataType() == DataType.DT_BFLOAT16
        ? factorGradients(tf, TBfloat16.class, dy, op)
        : factorGradients(tf, TFloat32.class, dy, op);
    out.add(plus(tf, factors.get(0), grads.get(2)));
    out.add(plus(tf, factors.get(1), grads.get(3)));
    return out;
  }

  /** [d(s A), dB] = [x^T (dy B^T), (x (s A))^T dy], multiplied in x's type and returned as float32. */
  private static <T extends TNumber> List<Operand<TFloat32>> factorGradients(Ops tf, Class<T> type, Output<?> dy,
      GraphOperation op) {
    Operand<T> x = op.input(1).expect(type);
    Operand<T> gradient = dy.expect(type);
    Operand<T> scaledDown = as(tf, op.input(2).expect(TFloat32.class), type);
    Operand<T> up = as(tf, op.input(3).expect(TFloat32.class), type);
    Operand<T> back = tf.linalg.matMul(gradient, up, MatMul.transposeB(true));                  // [n, r]
    Operand<T> projected = tf.linalg.matMul(x, scaledDown);                                     // [n, r]
    return List.of(as(tf, overRows(tf, type, x, back), TFloat32.class),                   // [in, r]
        as(tf, overRows(tf, type, projected, gradient), TFloat32.class));                  // [r, out]
  }

  /** Rows per chunk of {@link #overRows}. */
  static final int CHUNK_ROWS = 128;

  /**
   * a^T b [p, q] for a [n, p] and b [n, q]: in float32, as a batched product over whole chunks of
   * {@link #CHUNK_ROWS} rows, the sum of its partial products, plus the remaining rows' product (none when n is a
   * multiple of the chunk, as for BERT at 32 x 128; XLA, which knows n, then drops it).
   *
   * <p>Why: both factor gradients reduce a wide activation over the batch's rows to r columns, which cuBLAS serves in
   * TF32 with a split-K kernel of few blocks (80 on 132 SMs for BERT-base at 32 x 128), about four times the time it
   * takes to read the activation (docs/benchmarks.md, lease AC). In chunks the product has n / 128 times as many
   * blocks, and the sum that follows reads only [n / 128, p, q]. The sizes are read in the graph (tf.shape), not
   * here: a gradient function runs while TensorFlow holds the graph's lock, which a static shape query also takes.
   */
  static <T extends TNumber> Operand<T> overRows(Ops tf, Class<T> type, Operand<T> a, Operand<T> b) {
    if (type != TFloat32.class) {
      return tf.linalg.matMul(a, b, MatMul.transposeA(true));
    }
    Operand<TInt32> sizesA = tf.shape(a);
    Operand<TInt32> sizesB = tf.shape(b);
    Operand<TInt32> rows = size(tf, sizesA, 0);
    Operand<TInt32> chunk = tf.constant(CHUNK_ROWS);
    Operand<TInt32> chunks = tf.math.floorDiv(rows, chunk);
    Operand<TInt32> whole = tf.math.mul(chunks, chunk);
    Operand<T> chunked = tf.reduceSum(tf.train.batchMatMul(inChunks(tf, a, sizesA, whole, chunks, chunk),
        inChunks(tf, b, sizesB, whole, chunks, chunk), type, BatchMatMul.adjX(true)), tf.constant(0));
    Operand<TInt32> tailStart = tf.stack(List.of(whole, tf.constant(0)));
    Operand<TInt32> toEnd = tf.constant(new int[] {-1, -1});
    Operand<T> tail = tf.linalg.matMul(tf.slice(a, tailStart, toEnd), tf.slice(b, tailStart, toEnd),
        MatMul.transposeA(true));
    return tf.math.add(chunked, tail);
  }

  /** The first {@code whole} rows of {@code x} [n, p] as [chunks, chunk, p]. */
  private static <T extends TNumber> Operand<T> inChunks(Ops tf, Operand<T> x, Operand<TInt32> sizes,
      Operand<TInt32> whole, Operand<TInt32> chunks, Operand<TInt32> chunk) {
    return tf.reshape(tf.slice(x, tf.constant(new int[] {0, 0}), tf.stack(List.of(whole, tf.constant(-1)))),
        tf.stack(List.of(chunks, chunk, size(tf, sizes, 1))));
  }

  private static Operand<TInt32> size(Ops tf, Operand<TInt32> sizes, int axis) {
    return tf.squeeze(tf.slice(sizes, tf.constant(new int[] {axis}), tf.constant(new int[] {1})));
  }

  /** {@code value} in {@code type}: itself when it has that type already, else a Cast. */
  @SuppressWarnings("unchecked")
  private static <T extends TNumber, U extends TNumber> Operand<U> as(Ops tf, Operand<T> value, Class<U> type) {
    return value.type() == type ? (Operand<U>) value : tf.dtypes.cast(value, type);
  }

  /** What reached the marker's output {@code i} (its identity part), or zeros. */
  private static Operand<?> passed(Ops tf, GraphOperation op, List<Output<?>> grads, int i) {
    return grads.get(i) != null ? grads.get(i) : tf.zerosLike(op.input(i));
  }

  private static Operand<TFloat32> plus(Ops tf, Operand<TFloat32> gradient, Output<? extends TType> passed) {
    return passed == null ? gradient : tf.math.add(gradient, passed.expect(TFloat32.class));
  }
}
