package dev.finetune.vblora.savedmodel.export;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.model.MultiAdapterRewriter;
import dev.finetune.vblora.model.StackedAdapters;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.types.TString;

/**
 * A multi-adapter model served in-process: the model loaded once, each call a batch of the model's inputs plus
 * each example's adapter name, through the same serving_default signature TF Serving calls.
 */
public final class MultiAdapterSession implements AutoCloseable {
  private final SavedModelBundle bundle;
  private final SignatureDef signature;

  private MultiAdapterSession(SavedModelBundle bundle) {
    this.bundle = bundle;
    this.signature = bundle.metaGraphDef().getSignatureDefMap().get("serving_default");
    if (signature == null || !signature.getInputsMap().containsKey(MultiAdapterRewriter.ADAPTER_INPUT)) {
      bundle.close();
      throw new VbLoraException("not a multi-adapter model: its serving_default signature has no '"
          + MultiAdapterRewriter.ADAPTER_INPUT + "' input; write one with MultiAdapterModel.write");
    }
  }

  /** Loads the model written by {@link MultiAdapterModel#write}. */
  public static MultiAdapterSession open(Path model) {
    return new MultiAdapterSession(SavedModelBundle.load(model.toString(), "serve"));
  }

  /** The signature: the model's inputs and outputs by key, {@code adapter} among the inputs. */
  public SignatureDef signature() {
    return signature;
  }

  /**
   * Runs one batch.
   *
   * @param inputs the model's inputs by signature key (not {@code adapter}); the caller keeps and closes them
   * @param adapters each example's adapter name ("base": the untouched model), one per example of the batch
   * @param outputs the signature output keys to fetch, in this order
   * @return the outputs; the caller closes it
   * @throws VbLoraException when an input is missing or the names are not one per example (checked here, before
   *     TensorFlow would answer with a reshape error, or silently give every example the first name)
   */
  public Result run(Map<String, Tensor> inputs, List<String> adapters, List<String> outputs) {
    requireOneNamePerExample(inputs, adapters);
    try (TString chosen = TString.vectorOf(adapters.toArray(String[]::new))) {
      Session.Runner runner = bundle.session().runner()
          .feed(tensor(signature.getInputsMap(), MultiAdapterRewriter.ADAPTER_INPUT, "input"), chosen);
      inputs.forEach((key, value) -> runner.feed(tensor(signature.getInputsMap(), key, "input"), value));
      outputs.forEach(key -> runner.fetch(tensor(signature.getOutputsMap(), key, "output")));
      return runner.run();
    }
  }

  private void requireOneNamePerExample(Map<String, Tensor> inputs, List<String> adapters) {
    List<String> missing = signature.getInputsMap().keySet().stream()
        .filter(key -> !key.equals(MultiAdapterRewriter.ADAPTER_INPUT) && !inputs.containsKey(key)).sorted().toList();
    if (!missing.isEmpty()) {
      throw new VbLoraException("the batch lacks the model's input(s) " + String.join(", ", missing)
          + "; give every input of its signature but '" + MultiAdapterRewriter.ADAPTER_INPUT + "'");
    }
    for (Map.Entry<String, Tensor> input : inputs.entrySet()) {
      Shape shape = input.getValue().shape();
      if (adapters.isEmpty() || (shape.numDimensions() > 0 && shape.get(0) != adapters.size())) {
        throw new VbLoraException("input '" + input.getKey() + "' holds " + (shape.numDimensions() > 0
            ? shape.get(0) + " examples" : "a scalar") + " but " + adapters.size() + " adapter names were given;"
            + " give one name per example ('" + StackedAdapters.BASE + "' for the untouched model)");
      }
    }
  }

  private static String tensor(Map<String, TensorInfo> tensors, String key, String what) {
    TensorInfo info = tensors.get(key);
    if (info == null) {
      throw new VbLoraException("the model has no " + what + " '" + key + "'; its " + what + "s are "
          + tensors.keySet());
    }
    return info.getName();
  }

  @Override
  public void close() {
    bundle.close();
  }
}
