package dev.finetune.vblora.model;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorShapeProto;

/**
 * A model's signature inputs made stageable ({@link StepStaging}): each input Placeholder becomes a
 * PlaceholderWithDefault under the same name whose default is its staged row, so that feeding it works as before.
 */
final class StagedInputs {
  private static final String PLACEHOLDER = "Placeholder";

  private StagedInputs() {}

  /**
   * Signature input key to its Placeholder node, when every input is a Placeholder of a stageable type; empty
   * otherwise (e.g. a string input, or an input computed by another op), and then nothing is staged.
   */
  static Optional<Map<String, NodeDef>> placeholders(NodeIndex index, SignatureDef signature) {
    Map<String, NodeDef> inputs = new LinkedHashMap<>();
    for (Map.Entry<String, org.tensorflow.proto.TensorInfo> input : signature.getInputsMap().entrySet()) {
      TensorName name = TensorName.parse(input.getValue().getName());
      NodeDef node = index.contains(name.node()) ? index.node(name.node()) : null;
      if (node == null || !node.getOp().equals(PLACEHOLDER) || name.index() != 0
          || !StepStaging.stageable(node.getAttrOrThrow("dtype").getType())) {
        return Optional.empty();
      }
      inputs.put(input.getKey(), node);
    }
    return inputs.isEmpty() ? Optional.empty() : Optional.of(inputs);
  }

  /** Adds one slot per input (named by its key) to {@code staging}: Placeholder node to its default tensor. */
  static Map<String, String> addSlots(StepStaging staging, Map<String, NodeDef> inputs) {
    Map<String, String> defaults = new LinkedHashMap<>();
    inputs.forEach((key, node) -> {
      DataType type = node.getAttrOrThrow("dtype").getType();
      var value = staging.value(StepStaging.inputSlot(key), StepStaging.tensorType(type));
      defaults.put(node.getName(), value.op().name() + ":" + value.asOutput().index());
    });
    return defaults;
  }

  /**
   * {@code graph} with each Placeholder of {@code defaults} replaced by a PlaceholderWithDefault of that default.
   * Its shape leaves the batch dimension (and, for integer inputs such as token ids, the length) unknown: a
   * placeholder's shape is what graph optimizations assume when it is not fed, and staged batches are as long as
   * the run's length bucket, not the model's longest input.
   */
  static GraphDef apply(GraphDef graph, Map<String, String> defaults) {
    GraphDef.Builder out = graph.toBuilder();
    for (int i = 0; i < out.getNodeCount(); i++) {
      NodeDef node = out.getNode(i);
      String value = defaults.get(node.getName());
      if (value != null) {
        out.setNode(i, node.toBuilder().setOp("PlaceholderWithDefault").clearInput().addInput(value)
            .putAttr("shape", AttrValue.newBuilder().setShape(relaxed(node)).build()).build());
      }
    }
    return out.build();
  }

  private static TensorShapeProto relaxed(NodeDef placeholder) {
    TensorShapeProto shape = placeholder.getAttrOrThrow("shape").getShape();
    if (shape.getUnknownRank()) {
      return shape;
    }
    DataType type = placeholder.getAttrOrThrow("dtype").getType();
    boolean integer = type == DataType.DT_INT32 || type == DataType.DT_INT64;
    TensorShapeProto.Builder relaxed = shape.toBuilder();
    for (int d = 0; d < relaxed.getDimCount(); d++) {
      if (d == 0 || (d == 1 && integer)) {
        relaxed.setDim(d, relaxed.getDim(d).toBuilder().setSize(-1));
      }
    }
    return relaxed.build();
  }
}
