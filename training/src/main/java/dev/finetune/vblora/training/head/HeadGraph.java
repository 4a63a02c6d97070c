package dev.finetune.vblora.training.head;

import dev.finetune.vblora.model.ResourceVariable;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.family.TType;

/**
 * What a {@link TaskHead} added to the graph.
 *
 * @param logits [batch, classes] for classification, [batch, 1] for regression
 * @param predictions softmax probabilities [batch, classes] for classification, the predicted value
 *     [batch] for regression
 * @param labels placeholder to feed: int32 class ids [batch] or float32 targets [batch]
 * @param exampleWeights float32 [batch] placeholder, ones unless fed: each row's weight in the loss (0 for the
 *     padding rows of a filled-up batch)
 * @param loss scalar weighted mean loss over the batch (cross-entropy or mean squared error)
 * @param variables the head's trainable variables: kernel [hidden, outputs] then bias [outputs]
 */
public record HeadGraph(Operand<TFloat32> logits, Operand<TFloat32> predictions,
    Operand<? extends TType> labels, Operand<TFloat32> exampleWeights, Operand<TFloat32> loss,
    List<ResourceVariable> variables) {

  public HeadGraph {
    variables = List.copyOf(variables);
  }
}
