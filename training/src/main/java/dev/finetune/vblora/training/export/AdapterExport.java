package dev.finetune.vblora.training.export;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.model.AdapterVariable;
import dev.finetune.vblora.training.TrainConfig;
import dev.finetune.vblora.training.head.TaskHead;
import dev.finetune.vblora.training.variables.HostTensor;
import dev.finetune.vblora.savedmodel.adapter.AdapterHead;
import dev.finetune.vblora.savedmodel.adapter.PeftAdapter;
import dev.finetune.vblora.savedmodel.adapter.StoredTensor;
import dev.finetune.vblora.savedmodel.VbloraVersion;
import dev.finetune.vblora.savedmodel.export.KernelModulePaths;
import dev.finetune.vblora.savedmodel.adapter.ToolMetadata;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Trained variables to a PEFT adapter: what every method shares (module paths as Hugging Face names them, the
 * tool's metadata, PEFT's target_modules) here, the method's own tensors and config from its
 * {@link dev.finetune.vblora.training.method.AdapterMethod#export}, and the task head as PEFT
 * saves a {@code modules_to_save=["classifier"]} module of a sequence-classification model:
 * {@code base_model.model.classifier.weight} [classes, hidden] and {@code .bias} [classes].
 */
public final class AdapterExport {
  public static final String TASK_TYPE = "SEQ_CLS";

  private AdapterExport() {}

  /** The adapter of {@code manifest} with the values of a session or checkpoint (by variable name). */
  public static PeftAdapter toPeft(AdapterManifest manifest, Map<String, HostTensor> values) {
    TrainConfig config = manifest.config();
    Map<String, StoredTensor> head = headTensors(values);
    Map<String, String> targetVariables = new LinkedHashMap<>();
    // Plan order either way: VB-LoRA's kernels from the packed logits' layout, LoRA's from their factors.
    LinkedHashSet<String> kernels = new LinkedHashSet<>();
    manifest.logitsLayout().ifPresentOrElse(layout -> kernels.addAll(layout.kernels()),
        () -> manifest.variables().stream().filter(v -> !v.kernel().isEmpty()).forEach(v -> kernels.add(v.kernel())));
    kernels.forEach(k -> targetVariables.put(KernelModulePaths.modulePath(k), KernelModulePaths.variableName(k)));
    // Without a head the run trained the model's own output, whose loss (not --task) decided the task: none is
    // recorded for a head that does not exist.
    Map<String, Object> otherKeys = new LinkedHashMap<>(head.isEmpty() ? Map.of() : headFeatures(config));
    if (config.textPairColumn() != null) {
      otherKeys.put(ToolMetadata.TEXT_PAIR_COLUMN, config.textPairColumn());
    }
    ToolMetadata metadata = new ToolMetadata(config.model(), targetVariables,
        head.isEmpty() ? null : config.task().cliName(), manifest.labelNames(), otherKeys, VbloraVersion.current());
    Parts parts = new Parts(manifest, values, List.copyOf(kernels), targetModules(targetVariables.keySet()),
        metadata, head);
    return config.method().export(manifest, parts);
  }

  /**
   * What every method's export shares: the trained values, the adapted kernels in plan order, PEFT's
   * target_modules, the tool's metadata and the task head's tensors (empty without a head).
   */
  public record Parts(AdapterManifest manifest, Map<String, HostTensor> values, List<String> kernels,
      List<String> targetModules, ToolMetadata metadata, Map<String, StoredTensor> head) {

    /**
     * PEFT's modules_to_save: the head's module when the adapter saved one. None when the run trained the model's own
     * output, so that PEFT does not wrap (and keep untrained) a classifier the file has no weights for.
     */
    public List<String> modulesToSave() {
      return head.isEmpty() ? null : List.of(AdapterHead.MODULE);
    }

    /** PEFT's task_type: a sequence classifier's with a saved head (regression heads too, as in PEFT), else none. */
    public String taskType() {
      return head.isEmpty() ? null : TASK_TYPE;
    }

    /** The value of {@code variable}. */
    public HostTensor value(AdapterVariable variable) {
      HostTensor value = values.get(variable.name());
      if (value == null) {
        throw new VbLoraException("no value for adapter variable " + variable.name()
            + "; the checkpoint does not belong to this adapter");
      }
      return value;
    }

    /** The value of {@code kernel}'s variable of {@code group} (e.g. {@link AdapterVariable#LORA_DOWN}). */
    public HostTensor value(String kernel, String group) {
      return value(manifest.variables().stream().filter(v -> v.kernel().equals(kernel) && v.group().equals(group))
          .findFirst().orElseThrow(() -> new VbLoraException("no " + group + " variable for " + kernel)));
    }

    /** The packed logits variable called {@code name}. */
    public AdapterVariable packedLogits(String name) {
      return manifest.variables().stream()
          .filter(v -> v.name().equals(name) && v.group().equals(AdapterVariable.LOGITS)).findFirst()
          .orElseThrow(() -> new VbLoraException("the manifest's logits layout names " + name
              + ", which is none of its logits variables; the manifest is damaged"));
    }
  }

  public static final String HEAD_FEATURES = AdapterHead.FEATURES;
  public static final String HEAD_POOLING = AdapterHead.POOLING;
  public static final String HEAD_INPUTS = AdapterHead.INPUTS;

  /** Where the head reads, for merge to put it in the same place; empty for the detected default. */
  private static Map<String, Object> headFeatures(TrainConfig config) {
    if (config.features() == null) {
      return Map.of();
    }
    Map<String, Object> keys = new LinkedHashMap<>();
    keys.put(HEAD_FEATURES, config.features());
    keys.put(HEAD_POOLING, config.pooling().label());
    keys.put(HEAD_INPUTS, new LinkedHashMap<>(config.input()));
    return keys;
  }

  /** PEFT's target_modules: the distinct last components of the module paths (query, value, ...). */
  private static List<String> targetModules(Iterable<String> modulePaths) {
    LinkedHashSet<String> names = new LinkedHashSet<>();
    for (String path : modulePaths) {
      names.add(path.substring(Math.max(path.lastIndexOf('.'), path.lastIndexOf('/')) + 1));
    }
    return List.copyOf(names);
  }

  private static Map<String, StoredTensor> headTensors(Map<String, HostTensor> values) {
    HostTensor kernel = values.get(TaskHead.SCOPE + "/kernel");
    HostTensor bias = values.get(TaskHead.SCOPE + "/bias");
    if (kernel == null && bias == null) {
      return Map.of(); // the run trained the model's own output
    }
    if (kernel == null || bias == null) {
      throw new VbLoraException("the values hold half a task head (" + TaskHead.SCOPE + "/kernel, "
          + TaskHead.SCOPE + "/bias)");
    }
    float[][] weight = transpose(matrix(kernel)); // PyTorch nn.Linear: [out, in]
    Map<String, StoredTensor> head = new LinkedHashMap<>();
    head.put(AdapterHead.WEIGHT_KEY, StoredTensor.ofFloats(new long[] {weight.length, weight[0].length}, flat(weight)));
    head.put(AdapterHead.BIAS_KEY, StoredTensor.ofFloats(bias.shape(), bias.toFloats()));
    return head;
  }

  public static float[][] matrix(HostTensor tensor) {
    long[] shape = tensor.shape();
    if (shape.length != 2) {
      throw new VbLoraException("expected a matrix, got shape " + java.util.Arrays.toString(shape));
    }
    float[] flat = tensor.toFloats();
    int rows = (int) shape[0];
    int cols = (int) shape[1];
    float[][] m = new float[rows][cols];
    for (int i = 0; i < rows; i++) {
      System.arraycopy(flat, i * cols, m[i], 0, cols);
    }
    return m;
  }

  public static float[][] transpose(float[][] m) {
    float[][] t = new float[m[0].length][m.length];
    for (int i = 0; i < m.length; i++) {
      for (int j = 0; j < m[0].length; j++) {
        t[j][i] = m[i][j];
      }
    }
    return t;
  }

  static float[] flat(float[][] m) {
    float[] f = new float[m.length * m[0].length];
    for (int i = 0; i < m.length; i++) {
      System.arraycopy(m[i], 0, f, i * m[0].length, m[0].length);
    }
    return f;
  }
}
