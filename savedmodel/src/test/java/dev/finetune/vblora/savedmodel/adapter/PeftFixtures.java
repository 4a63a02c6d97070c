package dev.finetune.vblora.savedmodel.adapter;

import dev.finetune.vblora.ops.testing.SharedFolder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** The adapters written by PEFT itself under shared/fixtures/peft (see SOURCE.md there). */
final class PeftFixtures {
  static final String[] NAMES = {"qv_full", "qv_topk", "qv_topk_nv300", "all_linear_topk"};
  private static final String DELTA_SUFFIX = ".delta_weight";

  private PeftFixtures() {}

  static Path folder(String name) {
    return SharedFolder.resolve("fixtures/peft/" + name);
  }

  /** PEFT's own get_delta_weight() per module path, [out, in] row-major. */
  static Map<String, StoredTensor> expectedDeltas(String name) throws IOException {
    SafetensorsFile file = SafetensorsReader.read(folder(name).resolve("expected_delta_weights.safetensors"));
    Map<String, StoredTensor> byPath = new LinkedHashMap<>();
    file.tensors().forEach((key, tensor) -> {
      if (!key.endsWith(DELTA_SUFFIX)) {
        throw new IllegalStateException("unexpected key " + key);
      }
      byPath.put(key.substring(0, key.length() - DELTA_SUFFIX.length()), tensor);
    });
    return byPath;
  }

  /** Largest |actual - expected| over the largest |expected|, both [out][in] (expected row-major). */
  static double relativeError(float[][] actual, float[] expected) {
    int in = actual[0].length;
    double maxError = 0;
    double maxExpected = 0;
    for (int o = 0; o < actual.length; o++) {
      for (int i = 0; i < in; i++) {
        double e = expected[o * in + i];
        maxError = Math.max(maxError, Math.abs(actual[o][i] - e));
        maxExpected = Math.max(maxExpected, Math.abs(e));
      }
    }
    return maxError / maxExpected;
  }

  static float[] flatten(float[][] matrix) {
    int cols = matrix[0].length;
    float[] flat = new float[matrix.length * cols];
    for (int r = 0; r < matrix.length; r++) {
      System.arraycopy(matrix[r], 0, flat, r * cols, cols);
    }
    return flat;
  }
}
