package dev.finetune.vblora.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.ops.testing.GraphRunner;
import dev.finetune.vblora.ops.testing.ReferenceVbLora;
import dev.finetune.vblora.ops.testing.SharedFolder;
import dev.finetune.vblora.ops.testing.TestArrays;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * The ops reproduce the delta weights that PEFT itself computed for adapters it wrote (../shared/fixtures/peft):
 * full logits, and top-k-only files whose logits PEFT rebuilds as log(w) at the indices and -inf elsewhere.
 */
class PeftFixtureTest {
  private static final String PREFIX = "base_model.model.";

  @ParameterizedTest
  @ValueSource(strings = {"qv_full", "qv_topk", "qv_topk_nv300", "all_linear_topk"})
  void fusedCompositionReproducesPeftsDeltaWeights(String folder) throws IOException {
    Path dir = SharedFolder.resolve("fixtures/peft/" + folder);
    String config = Files.readString(dir.resolve("adapter_config.json"));
    VbLoraDims dims = new VbLoraDims(SafetensorsFixture.intField(config, "num_vectors"),
        SafetensorsFixture.intField(config, "vector_length"), SafetensorsFixture.intField(config, "r"),
        SafetensorsFixture.intField(config, "topk"));
    Map<String, SafetensorsFixture.Entry> adapter = SafetensorsFixture.read(dir.resolve("adapter_model.safetensors"));
    Map<String, SafetensorsFixture.Entry> expected =
        SafetensorsFixture.read(dir.resolve("expected_delta_weights.safetensors"));
    List<String> modules = expected.keySet().stream().map(k -> k.substring(0, k.length() - ".delta_weight".length()))
        .toList();
    assertTrue(modules.size() >= 4, "fixture lists its modules");

    try (GraphRunner g = new GraphRunner()) {
      Ops tf = g.tf();
      double[] bankValues = adapter.get("base_model.vblora_vector_bank").values();
      Operand<TFloat32> bank = g.input(TFloat32.class, dims.bankShape(), bankValues);
      List<LayerLogits<TFloat32>> layers = new ArrayList<>();
      List<double[][]> logitsValues = new ArrayList<>();
      for (String module : modules) {
        SafetensorsFixture.Entry delta = expected.get(module + ".delta_weight");  // [out, in]
        LayerShape shape = new LayerShape(module, (int) delta.shape()[1], (int) delta.shape()[0]);
        double[] a = logits(adapter, PREFIX + module + ".vblora_logits_A", dims);
        double[] b = logits(adapter, PREFIX + module + ".vblora_logits_B", dims);
        logitsValues.add(new double[][] {a, b});
        layers.add(new LayerLogits<>(shape, g.input(TFloat32.class, dims.logitsAShape(shape), a),
            g.input(TFloat32.class, dims.logitsBShape(shape), b)));
      }
      List<LowRankFactors<TFloat32>> factors = FusedFactorComposition.compose(tf, bank, layers, dims);
      List<Operand<TFloat32>> deltas = factors.stream().map(f -> DeltaWeight.of(tf, f, 1.0)).toList();
      List<double[]> values = g.run(deltas);
      for (int i = 0; i < modules.size(); i++) {
        LayerShape s = layers.get(i).shape();
        double[] peft = expected.get(modules.get(i) + ".delta_weight").values();
        double[] ours = ReferenceVbLora.transpose(values.get(i), s.inFeatures(), s.outFeatures());  // -> [out, in]
        double scale = maxAbs(peft);
        assertTrue(scale > 0, "PEFT's delta of " + modules.get(i) + " is not zero");
        double relative = TestArrays.maxAbsDiff(peft, ours) / scale;
        assertTrue(relative < 2e-6, modules.get(i) + ": max |ours - PEFT| / max |PEFT| = " + relative);
        // The plain-Java reference agrees with PEFT too, so it is a fair judge in the other tests.
        ReferenceVbLora.Factors ref = ReferenceVbLora.compose(s.inFeatures(), s.outFeatures(), dims.rank(),
            dims.numVectors(), dims.vectorLength(), dims.topk(), logitsValues.get(i)[0], logitsValues.get(i)[1],
            bankValues);
        assertTrue(TestArrays.maxAbsDiff(peft, ReferenceVbLora.peftDelta(ref, 1.0)) / scale < 2e-6,
            "reference vs PEFT for " + modules.get(i));
      }
    }
  }

  /** Full logits, or PEFT's reconstruction from top-k indices and the first k-1 weights. */
  private static double[] logits(Map<String, SafetensorsFixture.Entry> adapter, String key, VbLoraDims dims) {
    SafetensorsFixture.Entry full = adapter.get(key);
    if (full != null) {
      return full.values();
    }
    SafetensorsFixture.Entry indices = adapter.get(key + "_topk_indices");
    SafetensorsFixture.Entry weights = adapter.get(key + "_topk_weights");
    int k = dims.topk();
    int h = dims.numVectors();
    assertEquals(k, indices.shape()[indices.shape().length - 1], key + " indices per sub-vector");
    int rows = indices.size() / k;
    double[] logits = new double[rows * h];
    java.util.Arrays.fill(logits, Double.NEGATIVE_INFINITY);
    for (int row = 0; row < rows; row++) {
      double last = 1;
      for (int j = 0; j < k - 1; j++) {
        double w = weights.values()[row * (k - 1) + j];
        last -= w;
        logits[row * h + (int) indices.values()[row * k + j]] = Math.log(w);
      }
      logits[row * h + (int) indices.values()[row * k + k - 1]] = Math.log(last);
    }
    return logits;
  }

  private static double maxAbs(double[] v) {
    double max = 0;
    for (double x : v) {
      max = Math.max(max, Math.abs(x));
    }
    return max;
  }
}
