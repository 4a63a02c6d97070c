package dev.finetune.vblora.training;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.data.error.InvalidSettingException;
import dev.finetune.vblora.data.batch.Batch;
import dev.finetune.vblora.data.LabelSet;
import dev.finetune.vblora.data.Task;
import dev.finetune.vblora.data.batch.LengthBuckets;
import dev.finetune.vblora.savedmodel.SavedModelInfo;
import dev.finetune.vblora.savedmodel.SavedModelReader;
import dev.finetune.vblora.savedmodel.TensorSpec;
import dev.finetune.vblora.savedmodel.io.ModelInputs;
import dev.finetune.vblora.savedmodel.io.ModelIo;
import dev.finetune.vblora.savedmodel.io.ModelOutput;
import dev.finetune.vblora.training.device.CompileTracker;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * A merged SavedModel loaded as TF Serving would load it (SavedModelBundle, serving_default), answering
 * batches with its head's output: {@code probabilities} for classification, {@code predictions} for
 * regression; or, for a weights-only merge, with the model's own output turned into the same form (class
 * probabilities from its softmax, logits or sigmoid; values from a linear output).
 */
public final class ServingModel implements AutoCloseable {
  public static final String PROBABILITIES = "probabilities";
  public static final String PREDICTIONS = "predictions";

  private final Path folder;
  private final SavedModelBundle bundle;
  private final Map<String, TensorInfo> inputs;
  private final String output;
  private final boolean classification;
  private final CompileTracker compiles;
  private final ModelInputs feeds;
  private final ModelOutput.OwnOutput own;

  private ServingModel(Path folder, SavedModelBundle bundle, Map<String, TensorInfo> inputs, String output,
      boolean classification, CompileTracker compiles, ModelInputs feeds, ModelOutput.OwnOutput own) {
    this.folder = folder;
    this.bundle = bundle;
    this.inputs = inputs;
    this.output = output;
    this.classification = classification;
    this.compiles = compiles;
    this.feeds = feeds;
    this.own = own;
  }

  /**
   * Loads {@code folder} (meta graph {@code tag}, signature {@code signatureKey}) answering with the head vblora
   * added (probabilities or predictions) or, when it has none or {@code settings} name an output, with the
   * model's own output and the loss that fits it; inputs are fed by role as {@code settings} map them.
   */
  public static ServingModel load(Path folder, String tag, String signatureKey, ModelIo.Settings settings,
      ConfigProto sessionConfig, CompileTracker compiles) {
    SavedModelInfo info = SavedModelReader.read(folder, Set.of(tag.split(",")));
    ModelInputs feeds = ModelInputs.resolve(info.signature(signatureKey), settings.inputs());
    Map<String, TensorSpec> outputs = info.signature(signatureKey).outputs();
    boolean head = settings.output() == null && settings.loss() == null
        && (outputs.containsKey(PROBABILITIES) || outputs.containsKey(PREDICTIONS));
    ModelOutput.OwnOutput own = null;
    if (!head) {
      ModelOutput resolved = ModelIo.resolve(info, signatureKey, settings).output();
      if (!(resolved instanceof ModelOutput.OwnOutput o)) {
        throw new InvalidSettingException(List.of("adapter"), "model " + folder + " has no task head (no '"
            + PROBABILITIES + "' or '" + PREDICTIONS + "' output) and its signature has the feature output '"
            + ((ModelOutput.NewHead) resolved).features() + "'; evaluate a model merged by vblora train or vblora "
            + "merge, name the model's own output to score, or give the adapter");
      }
      own = o;
    }
    SavedModelBundle bundle = SavedModelBundle.loader(folder.toString()).withTags(tag.split(","))
        .withConfigProto(sessionConfig).load();
    try {
      SignatureDef signature = bundle.metaGraphDef().getSignatureDefMap().get(signatureKey);
      Map<String, TensorInfo> outputInfos = signature.getOutputsMap();
      if (own != null) {
        return new ServingModel(folder, bundle, signature.getInputsMap(), outputInfos.get(own.key()).getName(),
            own.loss().task() == Task.CLASSIFICATION, compiles, feeds, own);
      }
      boolean classification = outputInfos.containsKey(PROBABILITIES);
      String key = classification ? PROBABILITIES : PREDICTIONS;
      return new ServingModel(folder, bundle, signature.getInputsMap(), outputInfos.get(key).getName(),
          classification, compiles, feeds, null);
    } catch (RuntimeException e) {
      bundle.close();
      throw e;
    }
  }

  /** How batches feed this model's signature (null when loaded without a role mapping, by the legacy names). */
  public ModelInputs inputs() {
    return feeds;
  }

  /** Whether the model is a TF2 function graph (its serving functions were traced at the signature's shapes). */
  public boolean functionGraph() {
    return bundle.metaGraphDef().getGraphDef().getLibrary().getFunctionCount() > 0;
  }

  /** The model's own output being scored, if it is (a weights-only merge); empty for a vblora head. */
  public java.util.Optional<ModelOutput.OwnOutput> ownOutput() {
    return java.util.Optional.ofNullable(own);
  }

  /** Loads {@code folder} with tag serve and TensorFlow's default session options. */
  public static ServingModel load(Path folder) {
    return load(folder, ConfigProto.getDefaultInstance());
  }

  /** Loads {@code folder} with tag serve into a session set up by {@code sessionConfig}. */
  public static ServingModel load(Path folder, ConfigProto sessionConfig) {
    return load(folder, sessionConfig, null);
  }

  /**
   * Loads {@code folder} with tag serve into a session set up by {@code sessionConfig}; its calls go through
   * {@code compiles} (null: plainly), which counts the XLA compilations of each new batch shape.
   */
  public static ServingModel load(Path folder, ConfigProto sessionConfig, CompileTracker compiles) {
    SavedModelReader.requireComplete(folder); // names a damaged or incomplete folder, which TensorFlow would not
    SavedModelBundle bundle = SavedModelBundle.loader(folder.toString()).withTags("serve")
        .withConfigProto(sessionConfig).load();
    try {
      SignatureDef signature = bundle.metaGraphDef().getSignatureDefMap().get("serving_default");
      if (signature == null) {
        throw new VbLoraException("model " + folder + " has no serving_default signature");
      }
      Map<String, TensorInfo> outputs = signature.getOutputsMap();
      boolean classification = outputs.containsKey(PROBABILITIES);
      String key = classification ? PROBABILITIES : PREDICTIONS;
      if (!outputs.containsKey(key)) {
        throw new InvalidSettingException("adapter", "model " + folder + " has no task head: its serving signature"
            + " has no '" + PROBABILITIES + "' or '" + PREDICTIONS + "' output (its outputs are " + outputs.keySet()
            + "); evaluate a model merged by vblora train or vblora merge, or give the adapter");
      }
      return new ServingModel(folder, bundle, signature.getInputsMap(), outputs.get(key).getName(), classification,
          compiles, null, null);
    } catch (RuntimeException e) {
      bundle.close();
      throw e;
    }
  }

  /** Whether the head is a classifier (probabilities) rather than a regressor (predictions). */
  public boolean classification() {
    return classification;
  }

  /** Classification or regression, as the head's output says. */
  public Task task() {
    return classification ? Task.CLASSIFICATION : Task.REGRESSION;
  }

  /**
   * The class names to score with: the model's own classifier numbers its classes by output index; a vblora
   * head takes {@code recorded}, the names train or merge saved (empty when none were; see {@link #requireLabels}).
   */
  public java.util.Optional<LabelSet> labels(java.util.Optional<LabelSet> recorded) {
    if (task() == Task.CLASSIFICATION && own != null) {
      return java.util.Optional.of(LabelSet.inOrder(IntStream.range(0, own.classes()).mapToObj(Integer::toString)
          .toList()));
    }
    return recorded;
  }

  /**
   * {@link #labels}, refusing a classifier without class names: its scores could not be matched to the data's
   * labels. Empty for a regressor.
   *
   * @param model the model as the user named it, and {@code adapter} the adapter merged into it, if any: the
   *     refusal names the adapter when there is one (the names should have come from it), else the model
   */
  public java.util.Optional<LabelSet> requireLabels(java.util.Optional<LabelSet> recorded, Path model,
      java.util.Optional<Path> adapter) {
    java.util.Optional<LabelSet> labels = labels(recorded);
    if (task() == Task.CLASSIFICATION && labels.isEmpty()) {
      // One wording for eval and VbLora.evaluate: the setting named last is the adapter (--adapter on a command line).
      throw adapter.isPresent()
          ? new VbLoraException(adapter.get() + " records no class names for its classifier head (vblora train records"
              + " them in the adapter's metadata); evaluate an adapter written by vblora train, or the merged model"
              + " the run wrote beside it")
          : new InvalidSettingException("adapter", model + " records no class names for its classifier"
              + " (assets.extra/vblora_labels.json); evaluate a model written by train or merge, or the base model"
              + " with the run's adapter");
    }
    return labels;
  }

  /**
   * The tokens per example to encode: {@code requested}, except that a TF2 function graph, traced at its
   * signature's fixed length, takes at most that.
   *
   * @throws dev.finetune.vblora.data.error.InvalidSettingException when another graph's signature fixes a shorter
   *     length, as train refuses it
   */
  public int maxLength(int requested) {
    if (pinnedLength()) {
      return Math.min(feeds.fixedLength(), requested);
    }
    feeds.requireLength(requested);
    return requested;
  }

  /**
   * The batch lengths to score with: a TF2 function graph takes exactly its signature's fixed length (as train
   * padded it); other models the buckets {@code spec} asks for (see {@link BatchShapes#buckets}).
   */
  public LengthBuckets lengthBuckets(String spec, boolean xla, int maxLength, int longestExample) {
    return pinnedLength() ? LengthBuckets.of(feeds.fixedLength())
        : BatchShapes.buckets(spec, xla, maxLength, longestExample);
  }

  private boolean pinnedLength() {
    return feeds.fixedLength() != Integer.MAX_VALUE && functionGraph();
  }

  /**
   * Class probabilities [n][classes], or predicted values [n][1].
   *
   * @throws IllegalStateException when the model computes NaN or infinity: scores of such outputs would be
   *     meaningless (an argmax of NaNs is class 0), so they are refused
   */
  public float[][] predict(Batch batch) {
    float[][] outputs = run(batch);
    for (int i = 0; i < outputs.length; i++) {
      for (float value : outputs[i]) {
        if (!Float.isFinite(value)) {
          throw new IllegalStateException("model " + folder + " computes " + value + " as its "
              + (own != null ? "output " + own.key() : classification ? PROBABILITIES : PREDICTIONS)
              + " for example " + batch.exampleIndices()[i]
              + " (0-based, in the data's order), so its outputs cannot be scored; its weights hold NaN or"
              + " infinity: merge it again from its base model and a finite adapter (vblora merge)");
        }
      }
    }
    return outputs;
  }

  private float[][] run(Batch batch) {
    Session session = bundle.session();
    List<Tensor> feeds = new ArrayList<>();
    try {
      Session.Runner runner = session.runner();
      if (this.feeds != null) {
        Map<String, Tensor> byKey = this.feeds.feeds(batch);
        feeds.addAll(byKey.values());
        byKey.forEach((key, tensor) -> runner.feed(inputs.get(key).getName(), tensor));
      } else {
        feed(runner, feeds, "input_ids", batch.inputIds());
        feed(runner, feeds, "input_mask", batch.inputMask());
        feed(runner, feeds, "segment_ids", batch.segmentIds());
      }
      runner.fetch(output);
      try (Result result = compiles == null ? runner.run()
          : compiles.run(runner, "predict", batch.size(), batch.sequenceLength())) {
        TFloat32 values = (TFloat32) result.get(0);
        if (own != null) {
          return OwnOutputScores.of(own, values);
        }
        if (values.shape().numDimensions() == 2) {
          return StdArrays.array2dCopyOf(values);
        }
        float[] flat = StdArrays.array1dCopyOf(values);
        float[][] column = new float[flat.length][1];
        for (int i = 0; i < flat.length; i++) {
          column[i][0] = flat[i];
        }
        return column;
      }
    } finally {
      feeds.forEach(Tensor::close);
    }
  }

  private void feed(Session.Runner runner, List<Tensor> feeds, String key, int[][] values) {
    TensorInfo info = inputs.get(key);
    if (info == null) {
      throw new VbLoraException("the serving signature has no input '" + key + "'; its inputs are "
          + inputs.keySet());
    }
    TInt32 tensor = TInt32.tensorOf(StdArrays.ndCopyOf(values));
    feeds.add(tensor);
    runner.feed(info.getName(), tensor);
  }

  @Override
  public void close() {
    bundle.close();
  }
}
