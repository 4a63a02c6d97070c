package dev.finetune.vblora.savedmodel;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;

/**
 * A serving signature: its method and its named inputs and outputs (sorted by name).
 *
 * @param key the signature key, e.g. {@code serving_default}
 * @param methodName e.g. {@code tensorflow/serving/predict}
 * @param inputs input name to tensor
 * @param outputs output name to tensor
 */
public record SignatureInfo(
    String key, String methodName, Map<String, TensorSpec> inputs, Map<String, TensorSpec> outputs) {
  public SignatureInfo {
    inputs = Collections.unmodifiableMap(new TreeMap<>(inputs));
    outputs = Collections.unmodifiableMap(new TreeMap<>(outputs));
  }

  static SignatureInfo of(String key, SignatureDef def) {
    return new SignatureInfo(key, def.getMethodName(), specs(def.getInputsMap()), specs(def.getOutputsMap()));
  }

  private static Map<String, TensorSpec> specs(Map<String, TensorInfo> infos) {
    Map<String, TensorSpec> specs = new TreeMap<>();
    infos.forEach((name, info) -> specs.put(name, TensorSpec.of(info)));
    return specs;
  }
}
