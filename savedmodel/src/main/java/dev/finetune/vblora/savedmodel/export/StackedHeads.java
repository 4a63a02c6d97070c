package dev.finetune.vblora.savedmodel.export;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * The adapters' task heads stacked [slots, hidden, outputs], each example applying its own adapter's, with the
 * outputs a merged model with that head has ({@code logits} and {@code probabilities}, or {@code predictions}).
 * A slot without a head (the base model, or an adapter that has none) gets NaN there: no prediction that could
 * be mistaken for one; its model outputs are served as usual.
 *
 * <p>Heads stack only when they read the same features in the same way and have the same shape and task;
 * otherwise the export is refused, naming the two adapters that differ.
 */
final class StackedHeads {
  private static final String SCOPE = "vblora_multi_head";

  private final HeadWeights template;
  private final float[] kernel;
  private final float[] bias;
  private final int slots;

  private StackedHeads(HeadWeights template, float[] kernel, float[] bias, int slots) {
    this.template = template;
    this.kernel = kernel;
    this.bias = bias;
    this.slots = slots;
  }

  /** The heads of {@code choices} stacked, or empty when none has a head. */
  static Optional<StackedHeads> of(List<AdapterChoice> choices) {
    AdapterChoice first = choices.stream().filter(c -> c.head().isPresent()).findFirst().orElse(null);
    if (first == null) {
      return Optional.empty();
    }
    HeadWeights template = first.head().get();
    int hidden = template.hiddenSize();
    int outputs = template.outputSize();
    int slots = choices.size() + 1;
    float[] kernel = new float[slots * hidden * outputs];
    float[] bias = new float[slots * outputs];
    Arrays.fill(kernel, Float.NaN);
    Arrays.fill(bias, Float.NaN);
    for (int slot = 0; slot < choices.size(); slot++) {
      AdapterChoice choice = choices.get(slot);
      if (choice.head().isEmpty()) {
        continue;
      }
      HeadWeights head = choice.head().get();
      requireStackable(first.name(), template, choice.name(), head);
      for (int h = 0; h < hidden; h++) {
        System.arraycopy(head.kernel()[h], 0, kernel, (slot * hidden + h) * outputs, outputs);
      }
      System.arraycopy(head.bias(), 0, bias, slot * outputs, outputs);
    }
    return Optional.of(new StackedHeads(template, kernel, bias, slots));
  }

  private static void requireStackable(String firstName, HeadWeights first, String name, HeadWeights head) {
    String why = null;
    if (head.outputSize() != first.outputSize() || head.hiddenSize() != first.hiddenSize()) {
      why = "its head is [" + head.hiddenSize() + ", " + head.outputSize() + "] but " + firstName + "'s ["
          + first.hiddenSize() + ", " + first.outputSize() + "]";
    } else if (head.classification() != first.classification()) {
      why = "its head is " + task(head) + " but " + firstName + "'s " + task(first);
    } else if (!head.inputOutputKey().equals(first.inputOutputKey()) || !head.pooling().equals(first.pooling())) {
      why = "its head reads " + head.inputOutputKey() + " (pooling " + head.pooling() + ") but " + firstName
          + "'s " + first.inputOutputKey() + " (pooling " + first.pooling() + ")";
    }
    if (why != null) {
      throw new VbLoraException("adapter " + name + " cannot share a model with adapter " + firstName
          + ": " + why + ". A multi-adapter model stacks heads of one output shape and task, so that every request"
          + " gets the same outputs; export such adapters into separate multi-adapter models");
    }
  }

  private static String task(HeadWeights head) {
    return head.classification() ? "a classifier" : "a regressor";
  }

  /** Label names per adapter are the adapters' own; the stacked head serves the first head's task. */
  HeadWeights template() {
    return template;
  }

  /**
   * Adds the stacked head to {@code graph} and its outputs to {@code signature}.
   *
   * @param choice each example's slot, [batch] int32
   */
  SignatureDef addTo(Graph graph, SignatureDef signature, String choice) {
    Ops tf = Ops.create(graph).withSubScope(SCOPE);
    String featuresName = MergedExporter.featuresTensor(graph, signature, template.inputOutputKey());
    Output<TFloat32> features = MergedExporter.pooled(tf, graph, signature, template,
        graph.outputOrThrow(featuresName).expect(TFloat32.class));
    Operand<TInt32> slot = graph.outputOrThrow(choice).expect(TInt32.class);
    int hidden = template.hiddenSize();
    int outputs = template.outputSize();
    Operand<TFloat32> kernels = tf.gather(tf.constant(Shape.of(slots, hidden, outputs),
        DataBuffers.of(kernel, true, false)), slot, tf.constant(0));
    Operand<TFloat32> biases = tf.gather(tf.constant(Shape.of(slots, outputs), DataBuffers.of(bias, true, false)),
        slot, tf.constant(0));
    Operand<TFloat32> logits = tf.withName("logits").math.add(
        tf.linalg.einsum(List.of(features, kernels), "bh,bho->bo"), biases);
    SignatureDef.Builder out = signature.toBuilder();
    for (String key : template.classification() ? List.of("logits", "probabilities") : List.of("predictions")) {
      if (signature.getOutputsMap().containsKey(key)) {
        throw new VbLoraException("the model already has an output '" + key + "' that the adapters' "
            + "head would replace");
      }
    }
    if (template.classification()) {
      out.putOutputs("logits", MergedExporter.info(logits, outputs));
      out.putOutputs("probabilities", MergedExporter.info(tf.withName("probabilities").nn.softmax(logits), outputs));
    } else {
      out.putOutputs("predictions", MergedExporter.info(
          tf.withName("predictions").reshape(logits, tf.constant(new long[] {-1})), -1));
    }
    return out.build();
  }
}
