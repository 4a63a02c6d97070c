package dev.finetune.vblora.training.bench;

import dev.finetune.vblora.savedmodel.SavedModelInfo;
import dev.finetune.vblora.savedmodel.io.LossKind;
import dev.finetune.vblora.savedmodel.io.ModelIo;
import dev.finetune.vblora.savedmodel.io.ModelOutput;
import dev.finetune.vblora.training.TrainingGraph;
import dev.finetune.vblora.training.TrainingGraphSpec;
import java.util.Random;
import org.tensorflow.Tensor;
import org.tensorflow.types.TFloat32;

/**
 * What bench trains on a model, as train would detect it: a new two-class head on its features (BERT's
 * pooled_output), or, for a model that ends in its own classifier or regressor (a Keras model's output), that
 * output with the loss train would give it. Without this a model of the second kind could not be measured.
 *
 * @param io the model's inputs and output, detected from its signature
 */
record BenchTask(ModelIo io) {
  /** Classes of the new head. */
  static final int CLASSES = 2;

  static BenchTask detect(SavedModelInfo model, String signature) {
    return new BenchTask(ModelIo.resolve(model, signature, ModelIo.Settings.detected()));
  }

  /** {@code builder} with this task's io, and a new classifier unless the model's own output is trained. */
  TrainingGraphSpec.Builder applyTo(TrainingGraphSpec.Builder builder, long seed) {
    builder.io(io);
    return io.ownOutput() ? builder : builder.classification(CLASSES, seed);
  }

  /** Seeded labels for one step: class ids (int32), or values (float32) for a regression output. */
  Tensor labels(int batchSize, long seed) {
    if (io.output() instanceof ModelOutput.OwnOutput own) {
      if (own.loss() == LossKind.MSE) {
        Random random = new Random(seed);
        float[] values = new float[batchSize];
        for (int i = 0; i < values.length; i++) {
          values[i] = (float) random.nextGaussian();
        }
        return TFloat32.vectorOf(values);
      }
      return SyntheticBatch.labels(batchSize, own.classes(), seed);
    }
    return SyntheticBatch.labels(batchSize, CLASSES, seed);
  }

  /**
   * The signature output the forward and inference measurements sum: pooled_output where the model has it, else
   * the output the run trains (its own output, or the features a new head reads when they are a signature output).
   */
  String measuredOutput(SavedModelInfo model, String signature) {
    var outputs = model.signature(signature).outputs();
    if (outputs.containsKey(TrainingGraph.POOLED_OUTPUT)) {
      return TrainingGraph.POOLED_OUTPUT;
    }
    String key = io.output() instanceof ModelOutput.OwnOutput own ? own.key()
        : ((ModelOutput.NewHead) io.output()).features();
    return outputs.containsKey(key) ? key : TrainingGraph.POOLED_OUTPUT;
  }
}
