package dev.finetune.vblora.training.head;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.model.AdaptedGraph;
import dev.finetune.vblora.model.ServingPath;
import dev.finetune.vblora.training.TrainingGraphSpec;
import dev.finetune.vblora.savedmodel.io.InputRole;
import dev.finetune.vblora.savedmodel.io.ModelInputs;
import dev.finetune.vblora.savedmodel.io.ModelOutput;
import dev.finetune.vblora.savedmodel.io.Pooling;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.StridedSlice;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TFloat32;

/**
 * The [batch, hidden] tensor a new head reads: a signature output (pooled_output, pooler_output, ...) or a tensor
 * of the serving path named node:index, pooled when it is a sequence [batch, length, hidden]: its first token
 * ({@link Pooling#CLS}) or the mean over the real tokens ({@link Pooling#MEAN}, weighted by the mask input).
 */
public final class HeadFeatures {
  private HeadFeatures() {}

  /** The features of {@code newHead} in the adapted graph of {@code spec}. */
  public static Operand<TFloat32> of(Ops tf, AdaptedGraph adapted, TrainingGraphSpec spec,
      ModelOutput.NewHead newHead) {
    Ops scope = tf.withSubScope("head_features");
    Output<?> found = tensor(adapted, spec.signature(), newHead.features());
    // In a bfloat16 graph a tensor of the serving path may lie in a stretch computed in bfloat16
    // (Bfloat16Regions); the head reads it as float32, as it reads every other graph's features.
    Output<TFloat32> features = found.type() == TBfloat16.class
        ? scope.dtypes.cast(found, TFloat32.class).asOutput() : found.expect(TFloat32.class);
    int rank = features.shape().numDimensions();
    return switch (newHead.pooling()) {
      case NONE -> {
        if (rank != 2) {
          throw new VbLoraException("features '" + newHead.features() + "' have shape " + features.shape()
              + "; a head reads [batch, hidden]: pool a sequence output with cls or mean pooling");
        }
        yield features;
      }
      case CLS -> {
        requireSequence(newHead, features);
        yield scope.stridedSlice(features, scope.constant(new int[] {0, 0, 0}), scope.constant(new int[] {0, 1, 0}),
            scope.constant(new int[] {1, 1, 1}), StridedSlice.beginMask(5L), StridedSlice.endMask(5L),
            StridedSlice.shrinkAxisMask(2L));
      }
      case MEAN -> {
        requireSequence(newHead, features);
        yield mean(scope, features, mask(adapted, spec.io().inputs(), newHead));
      }
    };
  }

  private static Output<?> tensor(AdaptedGraph adapted, String signature, String features) {
    String name = adapted.outputs().get(features);
    Graph graph = adapted.graph();
    if (name == null) {
      List<String> nodes = new ArrayList<>();
      graph.operations().forEachRemaining(op -> nodes.add(op.name()));
      try {
        name = ServingPath.tensor(nodes, features);
      } catch (IllegalArgumentException e) {
        throw new VbLoraException("features '" + features + "' are neither an output of signature '"
            + signature + "' (its outputs are " + adapted.outputs().keySet() + ") nor a tensor of its serving path: "
            + e.getMessage(), e);
      }
    }
    Output<?> output = graph.outputOrThrow(name);
    if (output.type() != TFloat32.class && output.type() != TBfloat16.class) {
      throw new VbLoraException("features '" + features + "' are " + output.dataType()
          + "; a head reads float32 features");
    }
    return output;
  }

  private static void requireSequence(ModelOutput.NewHead newHead, Output<TFloat32> features) {
    if (features.shape().numDimensions() != 3) {
      throw new VbLoraException("features '" + newHead.features() + "' have shape " + features.shape()
          + "; " + newHead.pooling().label() + " pooling reads a sequence [batch, length, hidden]");
    }
  }

  private static Operand<?> mask(AdaptedGraph adapted, ModelInputs inputs, ModelOutput.NewHead newHead) {
    ModelInputs.Input mask = inputs.roles().get(InputRole.MASK);
    if (mask == null) {
      throw new VbLoraException("mean pooling of '" + newHead.features() + "' needs the model's mask "
          + "input, and it has none; use cls pooling");
    }
    return adapted.graph().outputOrThrow(adapted.inputs().get(mask.key()));
  }

  /** sum over positions of x * mask / max(sum of mask, 1): the mean of the real tokens' vectors. */
  private static Operand<TFloat32> mean(Ops tf, Operand<TFloat32> sequence, Operand<?> mask) {
    Operand<TFloat32> weights = tf.expandDims(tf.dtypes.cast(mask, TFloat32.class), tf.constant(-1));
    Operand<TFloat32> total = tf.reduceSum(tf.math.mul(sequence, weights), tf.constant(1));
    Operand<TFloat32> count = tf.math.maximum(tf.reduceSum(weights, tf.constant(1)), tf.constant(1f));
    return tf.withName("mean").math.div(total, count);
  }
}
