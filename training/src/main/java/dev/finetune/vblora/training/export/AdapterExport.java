package dev.finetune.vblora.training.export;

import dev.finetune.vblora.model.AdapterVariable;
import dev.finetune.vblora.model.LogitsSlice;
import dev.finetune.vblora.model.LoraConfig;
import dev.finetune.vblora.model.PackedLogitsLayout;
import dev.finetune.vblora.model.VbLoraConfig;
import dev.finetune.vblora.training.TrainConfig;
import dev.finetune.vblora.training.head.TaskHead;
import dev.finetune.vblora.training.variables.HostTensor;
import dev.finetune.vblora.savedmodel.adapter.AdapterHead;
import dev.finetune.vblora.savedmodel.adapter.FullLogits;
import dev.finetune.vblora.savedmodel.adapter.LoraAdapter;
import dev.finetune.vblora.savedmodel.adapter.LoraModule;
import dev.finetune.vblora.savedmodel.adapter.PeftAdapter;
import dev.finetune.vblora.savedmodel.adapter.PeftLoraConfig;
import dev.finetune.vblora.savedmodel.adapter.PeftVbLoraConfig;
import dev.finetune.vblora.savedmodel.adapter.StoredTensor;
import dev.finetune.vblora.savedmodel.VbloraVersion;
import dev.finetune.vblora.savedmodel.export.KernelModulePaths;
import dev.finetune.vblora.savedmodel.adapter.ToolMetadata;
import dev.finetune.vblora.savedmodel.adapter.VbLoraAdapter;
import dev.finetune.vblora.savedmodel.adapter.VbLoraModule;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Trained variables to a PEFT adapter: VB-LoRA (bank + logits, cut to top-k when save_only_topk_weights) or
 * LoRA (lora_A = down^T, lora_B = up^T), module paths as Hugging Face names them, and the task head as PEFT
 * saves a {@code modules_to_save=["classifier"]} module of a sequence-classification model:
 * {@code base_model.model.classifier.weight} [classes, hidden] and {@code .bias} [classes].
 */
public final class AdapterExport {
  // The head's names are the adapter format's (savedmodel's AdapterHead), which merge reads without training.
  public static final String HEAD_MODULE = AdapterHead.MODULE;
  public static final String HEAD_WEIGHT_KEY = AdapterHead.WEIGHT_KEY;
  public static final String HEAD_BIAS_KEY = AdapterHead.BIAS_KEY;
  static final String TASK_TYPE = "SEQ_CLS";

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
    ToolMetadata metadata = new ToolMetadata(config.model(), targetVariables,
        head.isEmpty() ? null : config.task().cliName(), manifest.labelNames(),
        head.isEmpty() ? Map.of() : headFeatures(config), VbloraVersion.current());
    List<String> targetModules = targetModules(targetVariables.keySet());
    if (config.method().equals("lora")) {
      LoraConfig lora = config.lora();
      PeftLoraConfig peft = PeftLoraConfig.builder().r(lora.rank()).loraAlpha(lora.alpha())
          .loraDropout(lora.dropout()).targetModules(targetModules).modulesToSave(List.of(HEAD_MODULE))
          .taskType(TASK_TYPE).baseModelNameOrPath(config.model()).toolMetadata(metadata).build();
      List<LoraModule> modules = new ArrayList<>();
      for (String kernel : kernels) {
        float[][] down = matrix(value(values, variable(manifest, kernel, AdapterVariable.LORA_DOWN)));
        float[][] up = matrix(value(values, variable(manifest, kernel, AdapterVariable.LORA_UP)));
        modules.add(LoraModule.of(KernelModulePaths.modulePath(kernel), transpose(down), transpose(up)));
      }
      return LoraAdapter.of(peft, modules, head);
    }
    VbLoraConfig vbLora = config.vbLora();
    PeftVbLoraConfig peft = PeftVbLoraConfig.builder().r(vbLora.rank()).numVectors(vbLora.numVectors())
        .vectorLength(vbLora.vectorLength()).topk(vbLora.topk()).targetModules(targetModules)
        .saveOnlyTopkWeights(vbLora.saveOnlyTopkWeights()).initVectorBankBound(vbLora.initVectorBankBound())
        .initLogitsStd(vbLora.initLogitsStd()).vbloraDropout(vbLora.dropout())
        .modulesToSave(List.of(HEAD_MODULE)).taskType(TASK_TYPE).baseModelNameOrPath(config.model())
        .toolMetadata(metadata).build();
    AdapterVariable bankVariable = manifest.variables().stream()
        .filter(v -> v.group().equals(AdapterVariable.BANK)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("the checkpoint has no vector bank; was it a LoRA run?"));
    float[][] bank = matrix(value(values, bankVariable));
    PackedLogitsLayout layout = manifest.logitsLayout().orElseThrow();
    HostTensor packedA = value(values, packedVariable(manifest, layout.variableA()));
    HostTensor packedB = value(values, packedVariable(manifest, layout.variableB()));
    float[] valuesA = packedA.toFloats();
    float[] valuesB = packedB.toFloats();
    List<VbLoraModule> modules = new ArrayList<>();
    for (String kernel : kernels) {
      modules.add(new VbLoraModule(KernelModulePaths.modulePath(kernel),
          logits(layout.a(kernel), valuesA, packedA.shape()), logits(layout.b(kernel), valuesB, packedB.shape())));
    }
    VbLoraAdapter adapter = VbLoraAdapter.of(peft, bank, modules, head);
    return vbLora.saveOnlyTopkWeights() ? adapter.toTopK() : adapter;
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
      throw new IllegalArgumentException("the values hold half a task head (" + TaskHead.SCOPE + "/kernel, "
          + TaskHead.SCOPE + "/bias)");
    }
    float[][] weight = transpose(matrix(kernel)); // PyTorch nn.Linear: [out, in]
    Map<String, StoredTensor> head = new LinkedHashMap<>();
    head.put(HEAD_WEIGHT_KEY, StoredTensor.ofFloats(new long[] {weight.length, weight[0].length}, flat(weight)));
    head.put(HEAD_BIAS_KEY, StoredTensor.ofFloats(bias.shape(), bias.toFloats()));
    return head;
  }

  private static AdapterVariable variable(AdapterManifest manifest, String kernel, String group) {
    return manifest.variables().stream().filter(v -> v.kernel().equals(kernel) && v.group().equals(group))
        .findFirst().orElseThrow(() -> new IllegalArgumentException("no " + group + " variable for " + kernel));
  }

  private static AdapterVariable packedVariable(AdapterManifest manifest, String name) {
    return manifest.variables().stream().filter(v -> v.name().equals(name) && v.group().equals(AdapterVariable.LOGITS))
        .findFirst().orElseThrow(() -> new IllegalArgumentException("the manifest's logits layout names " + name
            + ", which is none of its logits variables; the manifest is damaged"));
  }

  /** One kernel's logits in PEFT's layout ([r, in/b, h] or [out/b, r, h]), cut from the packed variable. */
  private static FullLogits logits(LogitsSlice slice, float[] packed, long[] packedShape) {
    long[] shape = slice.shape(packedShape);
    return new FullLogits(Math.toIntExact(shape[0]), Math.toIntExact(shape[1]), Math.toIntExact(shape[2]),
        slice.cut(packed, packedShape));
  }

  private static HostTensor value(Map<String, HostTensor> values, AdapterVariable variable) {
    HostTensor value = values.get(variable.name());
    if (value == null) {
      throw new IllegalArgumentException("no value for adapter variable " + variable.name()
          + "; the checkpoint does not belong to this adapter");
    }
    return value;
  }

  static float[][] matrix(HostTensor tensor) {
    long[] shape = tensor.shape();
    if (shape.length != 2) {
      throw new IllegalArgumentException("expected a matrix, got shape " + java.util.Arrays.toString(shape));
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

  static float[][] transpose(float[][] m) {
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
