package dev.finetune.vblora.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;

/**
 * Computes the position-wise tail of an encoder at the one position that its outputs read.
 *
 * <p>Why: BERT's pooler, and so every classification head on {@code pooled_output}, reads the last layer at the
 * first position only ({@code sequence_output[:, 0:1, :]}). Everything the last layer does after its attention
 * (the attention output projection, the residual, LayerNorm, the feed-forward block, LayerNorm) works position by
 * position, so the other 127 positions of a 128-token batch are computed, and differentiated, for nothing: about
 * one twelfth of BERT-base's step. XLA does not move a slice through products and reductions itself.
 *
 * <p>What: a {@code StridedSlice} that takes one position {@code p} (axis 1, other axes whole) of a
 * [batch, length, ...] tensor is the boundary. Going up from the tensor it slices, the tail is every node that
 * works row by row (element-wise ops with operands that are rows or broadcast along them, products with a weight
 * on the right, reductions and softmaxes over trailing axes) and whose value only the tail reads on the way to the
 * boundary. The tail is copied to run on position {@code p} alone: what it reads from outside (the attention's
 * context, the residual input) is sliced at {@code p}, weights and broadcast operands are read as they are, and
 * the boundary takes the copy's value. Two layouts are handled. Rows can be axis 1 of [batch, length, ...] tensors,
 * with products as BatchMatMuls on a [hidden, out] weight. Or rows can be flattened to [batch * length, ...] before
 * a final Reshape (BERT's TF1 code): the rows of position p are then {@code p, p + length, ...}, where the length
 * is element 1 of the Reshape's shape when that is a positive constant or read from a tensor's shape (otherwise
 * the slice is left alone). In the first layout a Dense on a sequence may also be Keras 2's Tensordot (Hugging
 * Face's TF models, bert4keras): a Reshape to [batch * length, in] rows, a MatMul, and a Reshape back to the
 * input's [batch, length] (read from its shape); the copy runs the rows in between at the position, as [batch, ...],
 * unless something outside the tail feeds them. Keras' EinsumDense on a sequence ({@code abc,cd->abd}, Model Garden's
 * feed-forward block) is a product of the first layout too. Any other Reshape ends the tail. What the copy reads from outside
 * is sliced at the row that broadcasts to the position: row 0 of a tensor with a single row (a [batch, 1, ...]
 * operand, known statically or, where shape inference cannot tell, at run time), row p otherwise. A tail without a
 * product is not worth a copy, so such encoders are left as they are. The
 * original nodes stay for whatever else reads them (such as a {@code sequence_output}); a step that fetches only
 * the pooled output no longer runs them. Each row is computed by
 * the same ops from the same values, so only a product's summation order (its kernel's choice for a smaller
 * matrix) can change a result, within float rounding.
 */
final class OnePositionTail {
  private static final Set<String> UNARY = Set.of("Identity", "StopGradient", "Snapshot", "PreventGradient", "Cast",
      "Neg", "Abs", "Tanh", "Erf", "Erfc", "Sigmoid", "Relu", "Relu6", "Elu", "Selu", "Softplus", "Softsign", "Exp",
      "Log", "Log1p", "Sqrt", "Rsqrt", "Square", "Reciprocal", "Sign", "Floor", "Ceil", "Round", "Softmax",
      "LogSoftmax");
  private static final Set<String> ELEMENT_WISE = Set.of("Add", "AddV2", "Sub", "Mul", "RealDiv", "Div",
      "DivNoNan", "Maximum", "Minimum", "Pow", "SquaredDifference", "BiasAdd", "AddN", "Select", "SelectV2");
  private static final Set<String> PRODUCTS = Set.of("MatMul", "BatchMatMul", "BatchMatMulV2", "BatchMatMulV3");
  private static final Set<String> REDUCTIONS = Set.of("Mean", "Sum", "Max", "Min", "Prod");
  private static final String SUFFIX = "/at_position_";
  /** Ops that read only a tensor's shape, never its values. */
  private static final Set<String> SHAPE_READERS = Set.of("Shape", "ShapeN", "Size", "Rank");

  private OnePositionTail() {}

  /** How a tail node reads one of its data inputs. */
  private enum Read {
    /** Row by row: the copy reads the input's rows at the position. */
    ROWS,
    /** Whole: a weight, or an operand broadcast along the rows. */
    WHOLE
  }

  /** How a tail node's output holds its rows. */
  private enum RowLayout {
    /** The boundary's layout: [batch, length, ...] (rows along axis 1) or BERT's flattened [batch * length, ...]. */
    ROWS,
    /**
     * Inside a Dense on a sequence ([batch, length, ...] rows only): Keras' Tensordot flattens [batch, length, in] to
     * [batch * length, in] rows, multiplies, and reshapes back. The copy holds [batch, ...]: the position's rows.
     */
    FLATTENED;

    int rank(Boundary boundary) {
      return this == ROWS ? boundary.rank() : 2;
    }

    int rowAxis(Boundary boundary) {
      return this == ROWS ? boundary.rowAxis() : 0;
    }
  }

  /** The tail's nodes: how each reads its data inputs, and the layout of its output's rows. */
  private record Tail(Map<String, Map<Integer, Read>> reads, Map<String, RowLayout> layouts) {
    void add(String node, Map<Integer, Read> nodeReads, RowLayout layout) {
      reads.put(node, nodeReads);
      layouts.put(node, layout);
    }
  }

  /**
   * The boundary slice and the layout of the rows it takes.
   *
   * @param slice the StridedSlice node
   * @param position the position it takes
   * @param shrinks whether it drops the position axis
   * @param root the tail's last node: the sliced tensor's producer, or the flattened tensor's before the Reshape
   * @param rowAxis 1 for [batch, length, ...] rows, 0 for flattened [batch * length, ...] rows
   * @param lengthShape for flattened rows, the Reshape's shape operand: its element 1 is the length the rows step
   *     by, read when the step runs (a graph's declared shapes need not hold: a [-1, 128] input may be fed 32
   *     tokens)
   * @param hidden the sliced tensor's last dimension
   */
  private record Boundary(NodeDef slice, long position, boolean shrinks, String root, int rowAxis,
      TensorName lengthShape, long hidden) {
    int rank() {
      return rowAxis == 0 ? 2 : 3;
    }
  }

  /**
   * {@code graph} with each one-position slice on the way to {@code outputs} reading a copy of its tail that runs
   * at that position only; the same graph when none has a tail with a product in it.
   */
  static GraphDef rewrite(GraphDef graph, Collection<String> outputs) {
    NodeIndex index = new NodeIndex(graph);
    Set<String> path = index.runClosure(outputs);
    List<NodeDef> slices = index.nodes().stream()
        .filter(n -> n.getOp().equals("StridedSlice") && path.contains(n.getName())).toList();
    if (slices.isEmpty()) {
      return graph;
    }
    GraphDef out = graph;
    try (Graph shapes = new Graph()) {
      shapes.importGraphDef(graph);
      for (NodeDef slice : slices) {
        Optional<Boundary> boundary = boundary(index, shapes, slice);
        Optional<GraphDef> copied = boundary.isEmpty() ? Optional.empty()
            : copyTail(out, index, shapes, boundary.get());
        if (copied.isPresent()) { // the next slice's tail is read from the graph with this copy in it
          out = copied.get();
          index = new NodeIndex(out);
        }
      }
    }
    return out;
  }

  private static Optional<Boundary> boundary(NodeIndex index, Graph shapes, NodeDef slice) {
    if (attrInt(slice, "ellipsis_mask") != 0 || attrInt(slice, "new_axis_mask") != 0) {
      return Optional.empty();
    }
    long begin = attrInt(slice, "begin_mask");
    long end = attrInt(slice, "end_mask");
    long shrink = attrInt(slice, "shrink_axis_mask");
    TensorName sliced = index.input(slice, 0);
    Shape shape = shape(shapes, sliced);
    Optional<long[]> starts = ints(index, index.input(slice, 1));
    Optional<long[]> ends = ints(index, index.input(slice, 2));
    Optional<long[]> strides = ints(index, index.input(slice, 3));
    if (shape.isUnknown() || shape.numDimensions() != 3 || starts.isEmpty() || ends.isEmpty() || strides.isEmpty()) {
      return Optional.empty();
    }
    // [:, p:p+1, :] or [:, p] (a two-axis spec, as Hugging Face's poolers write it): the other axes whole, step 1.
    int axes = starts.get().length;
    long whole = axes == 3 ? 0b101 : 0b001;
    if (axes < 2 || axes > 3 || ends.get().length != axes || strides.get().length != axes
        || Arrays.stream(strides.get()).anyMatch(step -> step != 1) || (begin & whole) != whole
        || (end & whole) != whole || (begin & 0b010) != 0 || (shrink & ~0b010L) != 0) {
      return Optional.empty();
    }
    long position = starts.get()[1];
    boolean shrinks = shrink != 0;
    if (position < 0 || !shrinks && ((end & 0b010) != 0 || ends.get()[1] != position + 1)) {
      return Optional.empty();
    }
    long hidden = shape.get(2);
    if (hidden < 0 || shape.get(1) == 1) {
      return Optional.empty();
    }
    NodeDef producer = index.node(sliced.node());
    if (producer.getOp().equals("Reshape") && sliced.index() == 0) {
      TensorName flat = index.input(producer, 0);
      Shape flatShape = shape(shapes, flat);
      TensorName lengthShape = index.input(producer, 1);
      if (!flatShape.isUnknown() && flatShape.numDimensions() == 2 && flatShape.get(1) == hidden
          && flat.index() == 0 && lengthReadable(index, lengthShape)) {
        return Optional.of(new Boundary(slice, position, shrinks, flat.node(), 0, lengthShape, hidden));
      }
      return Optional.empty();
    }
    if (sliced.index() != 0) {
      return Optional.empty();
    }
    return Optional.of(new Boundary(slice, position, shrinks, sliced.node(), 1, null, hidden));
  }

  /**
   * Whether element 1 of the final Reshape's shape is the length itself: a positive constant, or read from a
   * tensor's shape (as BERT packs it). Anything else may be -1, the length left for TensorFlow to infer, which is
   * no stride to step through the flattened rows by.
   */
  private static boolean lengthReadable(NodeIndex index, TensorName shape) {
    NodeDef node = index.node(shape.node());
    if (node.getOp().equals("Pack")) {
      TensorName element = index.input(node, 1);
      Optional<long[]> constant = ints(index, element);
      if (constant.isPresent()) {
        return constant.get().length == 1 && constant.get()[0] > 0;
      }
      NodeDef producer = index.node(element.node());
      return producer.getOp().equals("StridedSlice")
          && Set.of("Shape", "ShapeN").contains(index.node(index.input(producer, 0).node()).getOp());
    }
    Optional<long[]> values = ints(index, shape);
    return values.isPresent() && values.get().length == 3 && values.get()[1] > 0;
  }

  private static Optional<GraphDef> copyTail(GraphDef graph, NodeIndex index, Graph shapes, Boundary boundary) {
    Set<String> towardSlice = index.upstream(List.of(boundary.slice().getName()));
    Set<String> banned = new HashSet<>();
    while (true) {
      Tail tail = grow(index, shapes, boundary, towardSlice, banned);
      if (tail == null) {
        return Optional.empty();
      }
      Set<String> unsound = unsoundSequenceDenses(index, tail);
      if (!unsound.isEmpty()) {
        banned.addAll(unsound); // without them, and so without their flattened rows: grow again
        continue;
      }
      if (tail.reads().keySet().stream().map(index::node)
          .noneMatch(n -> PRODUCTS.contains(n.getOp()) || n.getOp().equals("Einsum"))) {
        return Optional.empty();
      }
      return Optional.of(new TailCopy(graph, index, shapes, boundary, tail).build());
    }
  }

  /**
   * The tail: from the boundary's root up, every node that works row by row and that only the tail reads on the way
   * to the slice, none of {@code banned}; null when the root itself does not work row by row.
   */
  private static Tail grow(NodeIndex index, Graph shapes, Boundary boundary, Set<String> towardSlice,
      Set<String> banned) {
    Tail tail = new Tail(new LinkedHashMap<>(), new HashMap<>());
    RowLayout rootLayout = RowLayout.ROWS;
    Map<Integer, Read> rootReads = reads(index, shapes, index.node(boundary.root()), boundary, rootLayout);
    if (rootReads == null) {
      return null;
    }
    tail.add(boundary.root(), rootReads, rootLayout);
    Set<String> rejected = new HashSet<>(banned);
    for (boolean grew = true; grew; ) {
      grew = false;
      for (Map.Entry<String, RowLayout> candidate : rowInputs(index, tail).entrySet()) {
        String name = candidate.getKey();
        if (!tail.reads().containsKey(name) && !rejected.contains(name)) {
          Map<Integer, Read> reads = joins(index, tail.reads(), towardSlice, name)
              ? reads(index, shapes, index.node(name), boundary, candidate.getValue()) : null;
          if (reads != null) {
            tail.add(name, reads, candidate.getValue());
            grew = true;
          } else if (index.consumers(name).stream().filter(towardSlice::contains)
              .allMatch(tail.reads()::containsKey)) {
            rejected.add(name); // every reader is in: it is not a tail op, and never will be
          }
        }
      }
    }
    return tail;
  }

  /**
   * The nodes the tail reads row by row, each with the layout its reader reads it in: a Dense's final Reshape reads
   * flattened rows, its first Reshape reads the boundary's rows.
   */
  private static Map<String, RowLayout> rowInputs(NodeIndex index, Tail tail) {
    Map<String, RowLayout> inputs = new LinkedHashMap<>();
    for (Map.Entry<String, Map<Integer, Read>> node : tail.reads().entrySet()) {
      NodeDef def = index.node(node.getKey());
      RowLayout layout = tail.layouts().get(node.getKey());
      RowLayout inputLayout = !def.getOp().equals("Reshape") ? layout
          : layout == RowLayout.ROWS ? RowLayout.FLATTENED : RowLayout.ROWS;
      node.getValue().forEach((i, read) -> {
        if (read == Read.ROWS) {
          inputs.putIfAbsent(index.input(def, i).node(), inputLayout);
        }
      });
    }
    return inputs;
  }

  /**
   * Whether every reader of {@code candidate} on the way to the slice is in the tail and reads its output 0 row by
   * row: then the tail is all that needs it at the other positions. Readers of its shape alone need no rows (a
   * Dense's Tensordot reads its input's shape for the final Reshape, whose copy does without).
   */
  private static boolean joins(NodeIndex index, Map<String, Map<Integer, Read>> tail, Set<String> towardSlice,
      String candidate) {
    for (String consumer : index.consumers(candidate)) {
      if (!towardSlice.contains(consumer) || SHAPE_READERS.contains(index.node(consumer).getOp())) {
        continue;
      }
      Map<Integer, Read> reads = tail.get(consumer);
      if (reads == null) {
        return false;
      }
      NodeDef node = index.node(consumer);
      for (int i = 0; i < reads.size(); i++) {
        TensorName input = index.input(node, i);
        if (input.node().equals(candidate) && (input.index() != 0 || reads.get(i) != Read.ROWS)) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * The final Reshapes of Dense layers on a sequence (Keras' Tensordot: [batch, length, in] flattened to rows,
   * multiplied, reshaped back) that the copy cannot run at the position as they are: flattened rows read from
   * outside the tail (there is no length to step through them by), or a final Reshape whose split into [batch,
   * length] is not the one its rows were flattened from.
   */
  private static Set<String> unsoundSequenceDenses(NodeIndex index, Tail tail) {
    Set<String> unsound = new HashSet<>();
    for (Map.Entry<String, RowLayout> node : tail.layouts().entrySet()) {
      NodeDef def = index.node(node.getKey());
      boolean reshape = def.getOp().equals("Reshape");
      if (node.getValue() == RowLayout.FLATTENED && !reshape && anyOutsideRows(index, tail, def)) {
        unsound.addAll(finalReshapesReading(index, tail, def.getName()));
      } else if (node.getValue() == RowLayout.ROWS && reshape) {
        Set<String> sources = new HashSet<>();
        if (!flattenedFrom(index, tail, def, sources) || !splitsAs(index, def, sources)) {
          unsound.add(def.getName());
        }
      }
    }
    return unsound;
  }

  private static boolean anyOutsideRows(NodeIndex index, Tail tail, NodeDef node) {
    return tail.reads().get(node.getName()).entrySet().stream().anyMatch(e -> e.getValue() == Read.ROWS
        && !tail.reads().containsKey(index.input(node, e.getKey()).node()));
  }

  /**
   * Collects into {@code sources} the [batch, length, in] tensors that the flattened rows under {@code node} (a
   * final Reshape, or a flattened node) were flattened from; false if some are read from outside the tail.
   */
  private static boolean flattenedFrom(NodeIndex index, Tail tail, NodeDef node, Set<String> sources) {
    for (Map.Entry<Integer, Read> read : tail.reads().get(node.getName()).entrySet()) {
      if (read.getValue() != Read.ROWS) {
        continue;
      }
      TensorName input = index.input(node, read.getKey());
      NodeDef producer = index.node(input.node());
      if (!tail.reads().containsKey(producer.getName())) {
        return false;
      }
      if (producer.getOp().equals("Reshape") && tail.layouts().get(producer.getName()) == RowLayout.FLATTENED) {
        sources.add(withoutIdentityTransposes(index, index.input(producer, 0)).toString());
      } else if (!flattenedFrom(index, tail, producer, sources)) {
        return false;
      }
    }
    return true;
  }

  /** The final Reshapes in the tail downstream of flattened node {@code name}, through flattened nodes. */
  private static Set<String> finalReshapesReading(NodeIndex index, Tail tail, String name) {
    Set<String> found = new HashSet<>();
    for (String consumer : index.consumers(name)) {
      RowLayout layout = tail.layouts().get(consumer);
      if (layout == RowLayout.ROWS && index.node(consumer).getOp().equals("Reshape")) {
        found.add(consumer);
      } else if (layout == RowLayout.FLATTENED) {
        found.addAll(finalReshapesReading(index, tail, consumer));
      }
    }
    return found;
  }

  /**
   * Whether final Reshape {@code reshape} splits its rows into the [batch, length] its rows came from: its shape is
   * Tensordot's {@code concat(gather(shape(x), [0, 1]), [out])} of the one tensor x they were flattened from.
   */
  private static boolean splitsAs(NodeIndex index, NodeDef reshape, Set<String> sources) {
    if (sources.size() != 1) {
      return false;
    }
    NodeDef concat = index.node(index.input(reshape, 1).node());
    if (!concat.getOp().equals("ConcatV2") || concat.getInputCount() < 3) {
      return false;
    }
    NodeDef gather = index.node(index.input(concat, 0).node());
    if (!gather.getOp().equals("GatherV2") || !Arrays.equals(ints(index, index.input(gather, 1)).orElse(null),
        new long[] {0, 1}) || !Arrays.equals(ints(index, index.input(gather, 2)).orElse(null), new long[] {0})) {
      return false;
    }
    NodeDef shape = index.node(index.input(gather, 0).node());
    return shape.getOp().equals("Shape")
        && sources.contains(withoutIdentityTransposes(index, index.input(shape, 0)).toString());
  }

  /**
   * Whether first Reshape {@code reshape} of a Dense on a sequence keeps its input's last axis where shape inference
   * cannot tell: Tensordot's shape {@code stack([prod(free dims), prod(gather(shape(x), [2]))])}.
   */
  private static boolean flattensTheLastAxis(NodeIndex index, NodeDef reshape, int inRank) {
    if (inRank != 3) {
      return false;
    }
    NodeDef pack = index.node(index.input(reshape, 1).node());
    if (!pack.getOp().equals("Pack") || pack.getInputCount() < 2) {
      return false;
    }
    NodeDef prod = index.node(index.input(pack, 1).node());
    if (!prod.getOp().equals("Prod")) {
      return false;
    }
    NodeDef gather = index.node(index.input(prod, 0).node());
    return gather.getOp().equals("GatherV2")
        && Arrays.equals(ints(index, index.input(gather, 1)).orElse(null), new long[] {2})
        && index.node(index.input(gather, 0).node()).getOp().equals("Shape");
  }

  /**
   * Whether {@code equation} maps each [batch, position] row of its first operand (rank 3) to the same row of its
   * output by the second alone, e.g. {@code abc,cd->abd}: the activation's first two letters lead the output, in
   * order, and the second operand has neither.
   */
  static boolean rowWiseEinsum(String equation) {
    String compact = equation.replace(" ", "");
    int arrow = compact.indexOf("->");
    if (arrow < 0 || compact.contains(".")) {
      return false;
    }
    String[] operands = compact.substring(0, arrow).split(",", -1);
    String output = compact.substring(arrow + 2);
    if (operands.length != 2 || operands[0].length() != 3 || output.length() != 3) {
      return false;
    }
    char batch = operands[0].charAt(0);
    char position = operands[0].charAt(1);
    return batch != position && output.charAt(0) == batch && output.charAt(1) == position
        && operands[1].indexOf(batch) < 0 && operands[1].indexOf(position) < 0
        && output.chars().distinct().count() == 3;
  }

  /** {@code tensor}, or what it transposes when it is a Transpose that keeps the axes in place. */
  private static TensorName withoutIdentityTransposes(NodeIndex index, TensorName tensor) {
    NodeDef node = index.node(tensor.node());
    return node.getOp().equals("Transpose") && identityPermutation(index, index.input(node, 1))
        ? withoutIdentityTransposes(index, index.input(node, 0)) : tensor;
  }

  /** Whether {@code perm} is [0, 1, ...]: a constant, or a ConcatV2 of constants (as Tensordot writes it). */
  private static boolean identityPermutation(NodeIndex index, TensorName perm) {
    Optional<long[]> values = ints(index, perm);
    NodeDef node = index.node(perm.node());
    if (values.isEmpty() && node.getOp().equals("ConcatV2")) {
      List<Long> joined = new ArrayList<>();
      int parts = node.getInputList().stream().filter(i -> !i.startsWith("^")).mapToInt(i -> 1).sum() - 1;
      for (int i = 0; i < parts; i++) {
        Optional<long[]> part = ints(index, index.input(node, i));
        if (part.isEmpty()) {
          return false;
        }
        Arrays.stream(part.get()).forEach(joined::add);
      }
      values = Optional.of(joined.stream().mapToLong(Long::longValue).toArray());
    }
    if (values.isEmpty()) {
      return false;
    }
    for (int i = 0; i < values.get().length; i++) {
      if (values.get()[i] != i) {
        return false;
      }
    }
    return true;
  }

  /** How {@code node} reads each data input if it works row by row in the boundary's layout; null if it does not. */
  private static Map<Integer, Read> reads(NodeIndex index, Graph shapes, NodeDef node, Boundary boundary,
      RowLayout layout) {
    int rank = layout.rank(boundary);
    int rowAxis = layout.rowAxis(boundary);
    Shape out = shape(shapes, new TensorName(node.getName(), 0, false));
    int inputs = (int) node.getInputList().stream().filter(i -> !i.startsWith("^")).count();
    if (out.isUnknown() || out.numDimensions() != rank || inputs == 0) {
      return null;
    }
    Map<Integer, Read> reads = new HashMap<>();
    String op = node.getOp();
    if ((UNARY.contains(op) || op.equals("IdentityN")) && inputs == 1) {
      return rowsOfSameRank(index, shapes, node, 0, rank, reads) ? reads : null;
    }
    if (op.equals("Transpose") && identityPermutation(index, index.input(node, 1))) {
      reads.put(1, Read.WHOLE);
      return rowsOfSameRank(index, shapes, node, 0, rank, reads) ? reads : null;
    }
    if (op.equals("Reshape") && boundary.rowAxis() == 1) {
      // A Dense on a sequence: the final Reshape of [batch * length, out] rows to [batch, length, out], or the first
      // of [batch, length, in] to [batch * length, in] (the last axis kept either way); the copy writes its shape.
      Shape in = shape(shapes, index.input(node, 0));
      int inRank = layout == RowLayout.ROWS ? 2 : 3;
      if (in.isUnknown() || in.numDimensions() != inRank || !flattensTheLastAxis(index, node, inRank)
          && (in.get(inRank - 1) < 0 || in.get(inRank - 1) != out.get(rank - 1))) {
        return null;
      }
      reads.put(0, Read.ROWS);
      reads.put(1, Read.WHOLE);
      return reads;
    }
    if (op.equals("BiasAdd") && node.getAttrMap().containsKey("data_format")
        && node.getAttrOrThrow("data_format").getS().toStringUtf8().startsWith("NC")) {
      return null; // the bias runs along axis 1, not along the last axis
    }
    if (op.equals("Select") && shape(shapes, index.input(node, 0)).numDimensions() != rank) {
      return null; // Select's vector condition picks whole rows
    }
    if (ELEMENT_WISE.contains(op)) {
      for (int i = 0; i < inputs; i++) {
        Shape in = shape(shapes, index.input(node, i));
        if (in.isUnknown()) {
          return null;
        }
        int aligned = rowAxis - (rank - in.numDimensions());
        if (aligned < 0) {
          reads.put(i, Read.WHOLE); // broadcast along the rows: a bias, a scale, a scalar
          continue;
        }
        if (in.numDimensions() != rank) {
          return null; // broadcast along the batch but not along the positions
        }
        long rows = in.get(rowAxis);
        long outRows = out.get(rowAxis);
        if (rows == 1 && outRows != 1) {
          reads.put(i, Read.WHOLE);
        } else {
          // Many rows, or unknown: should it broadcast one row at run time, its copy and its slice read that row (see
          // TailCopy#slicedInput), which is what every position reads.
          reads.put(i, Read.ROWS);
        }
      }
      return reads.containsValue(Read.ROWS) ? reads : null;
    }
    if (op.equals("Einsum") && layout == RowLayout.ROWS && boundary.rowAxis() == 1 && inputs == 2) {
      // Keras' EinsumDense on a sequence (Model Garden's feed-forward block, abc,cd->abd): one product per row.
      Shape right = shape(shapes, index.input(node, 1));
      if (right.isUnknown() || !rowWiseEinsum(node.getAttrOrThrow("equation").getS().toStringUtf8())) {
        return null;
      }
      reads.put(1, Read.WHOLE);
      return rowsOfSameRank(index, shapes, node, 0, rank, reads) ? reads : null;
    }
    if (PRODUCTS.contains(op)) {
      boolean transposedLeft = attrBool(node, "transpose_a") || attrBool(node, "adj_x");
      Shape right = shape(shapes, index.input(node, 1));
      if (transposedLeft || right.isUnknown() || right.numDimensions() != 2
          || op.equals("MatMul") && rowAxis != 0) {
        return null;
      }
      reads.put(1, Read.WHOLE);
      return rowsOfSameRank(index, shapes, node, 0, rank, reads) ? reads : null;
    }
    if (REDUCTIONS.contains(op) && attrBool(node, "keep_dims")) {
      Optional<long[]> axes = ints(index, index.input(node, 1));
      if (axes.isEmpty()) {
        return null;
      }
      for (long axis : axes.get()) {
        if ((axis < 0 ? axis + rank : axis) <= rowAxis) {
          return null;
        }
      }
      reads.put(1, Read.WHOLE);
      return rowsOfSameRank(index, shapes, node, 0, rank, reads) ? reads : null;
    }
    return null;
  }

  private static boolean rowsOfSameRank(NodeIndex index, Graph shapes, NodeDef node, int input, int rank,
      Map<Integer, Read> reads) {
    Shape in = shape(shapes, index.input(node, input));
    if (in.isUnknown() || in.numDimensions() != rank) {
      return false;
    }
    reads.put(input, Read.ROWS);
    return true;
  }

  /** Writes the copy: the tail's nodes renamed, its outside row inputs sliced, the boundary reading the copy. */
  private static final class TailCopy {
    private final GraphDef graph;
    private final NodeIndex index;
    private final Graph shapes;
    private final Boundary boundary;
    private final Tail tail;
    private final Set<String> names = new HashSet<>();
    private final Map<String, String> copies = new HashMap<>();
    private final Map<String, String> slicedInputs = new HashMap<>();
    private final List<NodeDef> added = new ArrayList<>();
    private final String scope;
    private String stride;

    TailCopy(GraphDef graph, NodeIndex index, Graph shapes, Boundary boundary, Tail tail) {
      this.graph = graph;
      this.index = index;
      this.shapes = shapes;
      this.boundary = boundary;
      this.tail = tail;
      graph.getNodeList().forEach(n -> names.add(n.getName()));
      tail.reads().keySet().forEach(n -> copies.put(n, OpNames.unique(n + SUFFIX + boundary.position(), names)));
      scope = OpNames.unique(boundary.slice().getName() + SUFFIX + boundary.position(), names);
    }

    GraphDef build() {
      for (Map.Entry<String, Map<Integer, Read>> node : tail.reads().entrySet()) {
        NodeDef def = index.node(node.getKey());
        added.add(def.getOp().equals("Reshape") ? copyReshape(def) : copy(def, node.getValue()));
      }
      NodeDef slice = boundary.slice();
      String value = copies.get(boundary.root()) + ":0";
      NodeDef.Builder replaced = NodeDef.newBuilder().setName(slice.getName()).setDevice(slice.getDevice())
          .putAttr("T", slice.getAttrOrThrow("T"));
      if (boundary.shrinks() == (boundary.rowAxis() == 0)) {
        // Flattened rows dropping the axis, or [batch, 1, ...] rows keeping it: the copy has the slice's shape.
        replaced.setOp("Identity").addInput(value);
      } else if (boundary.shrinks()) {
        replaced.setOp("Squeeze").addInput(value)
            .putAttr("squeeze_dims", AttrValue.newBuilder().setList(AttrValue.ListValue.newBuilder().addI(1)).build());
      } else {
        String shape = constant(scope + "/shape", DataType.DT_INT32, new long[] {-1, 1, boundary.hidden()});
        replaced.setOp("Reshape").addInput(value).addInput(shape)
            .putAttr("Tshape", AttrValue.newBuilder().setType(DataType.DT_INT32).build());
      }
      slice.getInputList().stream().filter(i -> i.startsWith("^")).forEach(replaced::addInput);
      Map<String, NodeDef> replacements = Map.of(slice.getName(), replaced.build());
      return BaseWeightPacking.replaceAndAdd(graph, replacements, added);
    }

    /**
     * A Dense's Reshape at the position: the first one's copy squeezes [batch, 1, in] into [batch, in] rows, the
     * final one's expands [batch, out] rows into [batch, 1, out]; neither needs the shape the original computes from
     * the whole sequence's.
     */
    private NodeDef copyReshape(NodeDef node) {
      boolean last = tail.layouts().get(node.getName()) == RowLayout.ROWS;
      TensorName input = index.input(node, 0);
      NodeDef.Builder copy = NodeDef.newBuilder().setName(copies.get(node.getName())).setDevice(node.getDevice())
          .putAttr("T", node.getAttrOrThrow("T"))
          .addInput(tail.reads().containsKey(input.node()) ? copies.get(input.node()) + ":" + input.index()
              : slicedInput(input));
      if (last) {
        NodeDef axis = IntConstant.scalar(OpNames.unique(copies.get(node.getName()) + "/axis", names),
            DataType.DT_INT32, 1);
        added.add(axis);
        copy.setOp("ExpandDims").addInput(axis.getName()).putAttr("Tdim", AttrValue.newBuilder().setType(DataType.DT_INT32).build());
      } else {
        copy.setOp("Squeeze")
            .putAttr("squeeze_dims", AttrValue.newBuilder().setList(AttrValue.ListValue.newBuilder().addI(1)).build());
      }
      node.getInputList().stream().filter(i -> i.startsWith("^")).forEach(copy::addInput);
      return copy.build();
    }

    private NodeDef copy(NodeDef node, Map<Integer, Read> reads) {
      NodeDef.Builder copy = node.toBuilder().setName(copies.get(node.getName())).clearInput()
          .removeAttr("_output_shapes");
      int data = 0;
      for (String input : node.getInputList()) {
        TensorName tensor = TensorName.parse(input);
        if (tensor.control() || reads.get(data++) == Read.WHOLE) {
          copy.addInput(input);
        } else if (tail.reads().containsKey(tensor.node())) {
          copy.addInput(copies.get(tensor.node()) + ":" + tensor.index());
        } else {
          copy.addInput(slicedInput(tensor));
        }
      }
      return copy.build();
    }

    /**
     * The rows of {@code tensor} that broadcast to the position: {@code x[:, p:p+1]}, or {@code x[p::length]} when
     * flattened; row 0 instead of p when the tensor has a single row (static, or at run time where shape inference
     * cannot tell: a [batch, 1, ...] operand broadcast along the positions, whose one row every position reads).
     */
    private String slicedInput(TensorName tensor) {
      return slicedInputs.computeIfAbsent(tensor.toString(), key -> {
        int rank = boundary.rank();
        int axis = boundary.rowAxis();
        long all = (1L << rank) - 1;
        String name = OpNames.unique(tensor.node() + SUFFIX + boundary.position() + "/rows", names);
        Shape known = shape(shapes, tensor);
        long rows = known.isUnknown() || known.numDimensions() <= axis ? -1 : known.get(axis);
        long start = rows == 1 ? 0 : boundary.position();
        boolean atRunTime = start > 0 && rows < 0; // one row or many: only the run knows
        long[] step = new long[rank];
        Arrays.fill(step, 1);
        String strides;
        DataType indexType;
        if (axis == 1) {
          indexType = DataType.DT_INT32;
          strides = constant(name + "/strides", indexType, step);
        } else {
          indexType = dataType(shapes, boundary.lengthShape());
          strides = flattenedStrides(name + "/strides", indexType, rank);
        }
        String begin;
        String end;
        if (atRunTime) {
          String first = firstRow(name, key, indexType);
          begin = packAtAxis(name + "/begin", first, indexType, rank, axis, 0);
          end = axis == 1 ? packAtAxis(name + "/end", plusOne(name + "/end_row", first, indexType), indexType, rank,
              axis, 0) : constant(name + "/end", indexType, new long[rank]);
        } else {
          long[] beginValues = new long[rank];
          long[] endValues = new long[rank];
          beginValues[axis] = start;
          if (axis == 1) {
            endValues[1] = start + 1;
          }
          begin = constant(name + "/begin", indexType, beginValues);
          end = constant(name + "/end", indexType, endValues);
        }
        long sliceAxisMask = 1L << axis;
        NodeDef slice = NodeDef.newBuilder().setName(name).setOp("StridedSlice")
            .addInput(key).addInput(begin).addInput(end).addInput(strides)
            .putAttr("T", AttrValue.newBuilder().setType(dataType(shapes, tensor)).build())
            .putAttr("Index", AttrValue.newBuilder().setType(indexType).build())
            .putAttr("begin_mask", intAttr(all & ~sliceAxisMask))
            .putAttr("end_mask", intAttr(axis == 1 ? all & ~sliceAxisMask : all))
            .putAttr("ellipsis_mask", intAttr(0)).putAttr("new_axis_mask", intAttr(0))
            .putAttr("shrink_axis_mask", intAttr(0))
            .build();
        added.add(slice);
        return name + ":0";
      });
    }

    /** {@code rows(tensor) == 1 ? 0 : p}, a scalar of {@code type}, computed when the step runs. */
    private String firstRow(String name, String tensor, DataType type) {
      String shape = OpNames.unique(name + "/shape", names);
      added.add(NodeDef.newBuilder().setName(shape).setOp("Shape").addInput(tensor)
          .putAttr("T", AttrValue.newBuilder().setType(dataType(shapes, TensorName.parse(tensor))).build())
          .putAttr("out_type", AttrValue.newBuilder().setType(type).build()).build());
      String rows = element(OpNames.unique(name + "/row_count", names), shape, boundary.rowAxis(), type);
      AttrValue typeAttr = AttrValue.newBuilder().setType(type).build();
      String single = OpNames.unique(name + "/single_row", names);
      added.add(NodeDef.newBuilder().setName(single).setOp("Equal").addInput(rows)
          .addInput(scalar(name + "/one", type, 1)).putAttr("T", typeAttr).build());
      String first = OpNames.unique(name + "/first_row", names);
      added.add(NodeDef.newBuilder().setName(first).setOp("SelectV2").addInput(single)
          .addInput(scalar(name + "/zero", type, 0)).addInput(scalar(name + "/position", type, boundary.position()))
          .putAttr("T", typeAttr).build());
      return first;
    }

    private String plusOne(String wanted, String value, DataType type) {
      String name = OpNames.unique(wanted, names);
      added.add(NodeDef.newBuilder().setName(name).setOp("AddV2").addInput(value).addInput(scalar(wanted + "/one",
          type, 1)).putAttr("T", AttrValue.newBuilder().setType(type).build()).build());
      return name;
    }

    /** A vector of {@code rank} elements of {@code type}: {@code value} at {@code axis}, {@code fill} elsewhere. */
    private String packAtAxis(String wanted, String value, DataType type, int rank, int axis, long fill) {
      NodeDef.Builder pack = NodeDef.newBuilder().setName(OpNames.unique(wanted, names)).setOp("Pack")
          .putAttr("T", AttrValue.newBuilder().setType(type).build())
          .putAttr("N", intAttr(rank)).putAttr("axis", intAttr(0));
      for (int i = 0; i < rank; i++) {
        pack.addInput(i == axis ? value : scalar(wanted + "/fill_" + i, type, fill));
      }
      NodeDef node = pack.build();
      added.add(node);
      return node.getName();
    }

    private String scalar(String wanted, DataType type, long value) {
      NodeDef node = IntConstant.scalar(OpNames.unique(wanted, names), type, value);
      added.add(node);
      return node.getName();
    }

    /** [length, 1, ...]: the length read from element 1 of the final Reshape's shape, once per tail. */
    private String flattenedStrides(String name, DataType type, int rank) {
      if (stride == null) {
        stride = element(OpNames.unique(scope + "/length", names), boundary.lengthShape().toString(), 1, type);
      }
      return packAtAxis(name, stride, type, rank, 0, 1);
    }

    /** Adds {@code node}: element {@code index} of the int vector {@code vector}, a scalar of {@code type}. */
    private String element(String node, String vector, int index, DataType type) {
      AttrValue typeAttr = AttrValue.newBuilder().setType(type).build();
      added.add(NodeDef.newBuilder().setName(node).setOp("StridedSlice").addInput(vector)
          .addInput(constant(node + "/begin", type, new long[] {index}))
          .addInput(constant(node + "/end", type, new long[] {index + 1}))
          .addInput(constant(node + "/strides", type, new long[] {1}))
          .putAttr("T", typeAttr).putAttr("Index", typeAttr)
          .putAttr("begin_mask", intAttr(0)).putAttr("end_mask", intAttr(0))
          .putAttr("ellipsis_mask", intAttr(0)).putAttr("new_axis_mask", intAttr(0))
          .putAttr("shrink_axis_mask", intAttr(1)).build());
      return node;
    }

    /** An int32 or int64 vector constant, named after {@code wanted}. */
    private String constant(String wanted, DataType type, long[] values) {
      NodeDef node = IntConstant.vector(OpNames.unique(wanted, names), type, values);
      added.add(node);
      return node.getName();
    }
  }

  private static AttrValue intAttr(long value) {
    return AttrValue.newBuilder().setI(value).build();
  }

  private static long attrInt(NodeDef node, String name) {
    AttrValue value = node.getAttrMap().get(name);
    return value == null ? 0 : value.getI();
  }

  private static boolean attrBool(NodeDef node, String name) {
    AttrValue value = node.getAttrMap().get(name);
    return value != null && value.getB();
  }

  private static Shape shape(Graph shapes, TensorName tensor) {
    GraphOperation op = shapes.operation(tensor.node());
    return op == null ? Shape.unknown() : op.output(tensor.index()).shape();
  }

  private static DataType dataType(Graph shapes, TensorName tensor) {
    return shapes.operationOrThrow(tensor.node()).output(tensor.index()).dataType();
  }

  /** The values of an int32 or int64 Const (a scalar gives one value); empty for anything else. */
  private static Optional<long[]> ints(NodeIndex index, TensorName tensor) {
    NodeDef node = index.node(tensor.node());
    return node.getOp().equals("Const") ? IntConstant.values(node.getAttrOrThrow("value").getTensor())
        : Optional.empty();
  }
}
