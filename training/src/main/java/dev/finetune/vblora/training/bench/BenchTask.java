package dev.finetune.vblora.training.bench;

import dev.finetune.vblora.data.error.InvalidSettingException;
import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.model.InputFlow;
import dev.finetune.vblora.savedmodel.SavedModelInfo;
import dev.finetune.vblora.savedmodel.SignatureInfo;
import dev.finetune.vblora.savedmodel.io.InputRole;
import dev.finetune.vblora.savedmodel.io.LossKind;
import dev.finetune.vblora.savedmodel.io.ModelInputs;
import dev.finetune.vblora.savedmodel.io.ModelIo;
import dev.finetune.vblora.savedmodel.io.ModelOutput;
import dev.finetune.vblora.training.TrainingGraph;
import dev.finetune.vblora.training.TrainingGraphSpec;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
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
  /** Feature outputs the forward and inference measurements prefer, as a new head would. */
  private static final List<String> SUMMED = List.of(TrainingGraph.POOLED_OUTPUT, "pooler_output");

  static BenchTask detect(SavedModelInfo model, String signature) {
    return detect(model, signature, ModelIo.Settings.detected());
  }

  /** As train resolves {@code settings} (its model io options) on the model. */
  static BenchTask detect(SavedModelInfo model, String signature, ModelIo.Settings settings) {
    return new BenchTask(ModelIo.resolve(model, signature, settings));
  }

  /**
   * What every measurement of one bench run shares: the task (null when only the untouched model is measured), the
   * token inputs' roles (null where train could not map them: then they are told by name), the output the forward
   * passes sum, and the settings with the sequence length the model takes.
   */
  record Prepared(BenchTask task, ModelInputs inputs, String measuredOutput, BenchSettings settings) {
    /** Detects all of it; {@code trains}: whether some adapter is measured (else no task is resolved). */
    static Prepared of(SavedModelInfo model, String signature, boolean trains, BenchSettings settings,
        Consumer<String> progress) {
      // The task's io holds the inputs as train maps them: resolved once (the input flow walks the serving path).
      BenchTask task = trains ? detect(model, signature, settings.io()) : null;
      ModelInputs inputs = task != null ? task.io().inputs() : mappedOrNull(model, signature, settings);
      BenchSettings sized = inputs == null ? settings
          : settings.withMaxLength(sequenceLength(model, inputs, settings.maxLength(), progress));
      return new Prepared(task, inputs,
          BenchTask.measuredOutput(model.signature(signature), task == null ? null : task.io()), sized);
    }

    /** The inputs by role for the untouched model alone; null where they do not map (they are told by name). */
    private static ModelInputs mappedOrNull(SavedModelInfo model, String signature, BenchSettings settings) {
      try {
        return BenchTask.inputs(model, signature, settings.io().inputs());
      } catch (RuntimeException e) {
        if (!settings.io().inputs().isEmpty()) {
          throw e; // an explicit --input that does not map
        }
        return null;
      }
    }

    /** A synthetic batch of these settings' shape, seeded {@code seed}. */
    SyntheticBatch batch(SavedModelInfo model, String signature, long seed) {
      return SyntheticBatch.of(model.signature(signature), inputs, settings.batchSize(), settings.maxLength(), seed);
    }
  }

  /**
   * The model's inputs as train maps them (ids, mask and types by convention or by where they flow), without
   * deciding what a run would train: what the untouched model's measurements need.
   */
  static ModelInputs inputs(SavedModelInfo model, String signature, Map<InputRole, String> explicit) {
    return ModelInputs.resolve(model.signature(signature), explicit,
        () -> InputFlow.of(model.metaGraph(), signature));
  }

  /**
   * The sequence length the batches take: {@code requested}, or, for a TF2 model whose signature fixes the length,
   * that length (its functions were traced at it; train pads every batch to it), said through {@code progress}.
   *
   * @throws InvalidSettingException when {@code requested} is longer than a TF1 graph's fixed length
   */
  static int sequenceLength(SavedModelInfo model, ModelInputs inputs, int requested, Consumer<String> progress) {
    int fixed = inputs.fixedLength();
    if (!inputs.text() || fixed == Integer.MAX_VALUE || fixed == requested) {
      return requested;
    }
    if (model.hasFunctions()) {
      progress.accept("the model's functions were traced at length " + fixed + ", which every batch takes (as "
          + "train pads to it); maxLength " + requested + " is not used");
      return fixed;
    }
    if (requested > fixed) {
      throw new InvalidSettingException("maxLength", "maxLength " + requested + " is longer than the " + fixed
          + " tokens the model's inputs take; use maxLength " + fixed + " or less");
    }
    return requested;
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
   * The signature output the forward and inference measurements sum: pooled_output (or pooler_output) where the
   * model has it, else the output a run trains ({@code io}'s own output, or the features a new head reads when
   * they are a signature output; {@code io} null when nothing is trained), else the signature's only output.
   *
   * @throws VbLoraException when none of these is an output of the signature
   */
  static String measuredOutput(SignatureInfo signature, ModelIo io) {
    var outputs = signature.outputs();
    for (String key : SUMMED) {
      if (outputs.containsKey(key)) {
        return key;
      }
    }
    if (io != null) {
      String key = io.output() instanceof ModelOutput.OwnOutput own ? own.key()
          : ((ModelOutput.NewHead) io.output()).features();
      if (outputs.containsKey(key)) {
        return key;
      }
    }
    if (outputs.size() == 1) {
      return outputs.keySet().iterator().next();
    }
    throw new VbLoraException("bench sums one output of each forward pass: pooled_output, pooler_output, the output "
        + "a run trains, or the signature's only output, but signature '" + signature.key() + "' has outputs "
        + outputs.keySet() + " and none of these; measure the training step alone (--mode train)");
  }
}
