package dev.finetune.vblora.savedmodel.adapter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * PEFT saves an adapter in its dtype, F16 or BF16 when the model was loaded in half precision: the bank, the full
 * logits and the top-k weights alike. Such files read to PEFT's own delta weights, to their precision.
 */
class HalfPrecisionAdapterTest {
  @TempDir
  Path temp;

  /**
   * PEFT's top-k fixtures as a half-precision model saves them: every float tensor rounded to the dtype. (Not the
   * full-logits one: rounding its logits may change which k are largest, so its deltas are no longer PEFT's.)
   */
  @ParameterizedTest
  @CsvSource({"qv_topk, F16", "qv_topk, BF16", "all_linear_topk, F16", "all_linear_topk, BF16",
      "qv_topk_nv300, F16", "qv_topk_nv300, BF16"})
  void halfPrecisionFilesReadToPeftsDeltas(String fixture, Dtype dtype) throws IOException {
    Path folder = copyIn(fixture, dtype);
    PeftAdapter adapter = AdapterFolder.read(folder);
    // a delta mixes two rounded bank rows per factor: a few units of roundoff of the largest value
    double tolerance = 16 * dtype.unitRoundoff();
    for (Map.Entry<String, StoredTensor> expected : PeftFixtures.expectedDeltas(fixture).entrySet()) {
      double error = PeftFixtures.relativeError(adapter.deltaWeights(expected.getKey()).pytorchWeight(),
          expected.getValue().toFloats());
      assertTrue(error <= tolerance, expected.getKey() + ": relative error " + error + " in " + dtype);
    }
  }

  /**
   * With k=3 and peaked logits the two stored weights of a sub-vector are near 1 and near 0; rounded to F16 or BF16
   * they can sum past 1 (the file is still what PEFT writes). PEFT mixes by the softmax of their logarithms, i.e.
   * divides by their sum, and so must we: the deltas equal those of the full logits the file was cut from.
   */
  @ParameterizedTest
  @EnumSource(value = Dtype.class, names = {"F16", "BF16"})
  void topKWeightsThatRoundPastOneMixAsPeftsSoftmaxDoes(Dtype dtype) throws IOException {
    VbLoraAdapter peft = VbLoraAdapter.read(PeftFixtures.folder("qv_full"));
    List<VbLoraModule> peaked = new ArrayList<>();
    for (VbLoraModule module : peft.modules()) {
      peaked.add(new VbLoraModule(module.path(), scaled((FullLogits) module.logitsA(), 60),
          scaled((FullLogits) module.logitsB(), 60)));
    }
    VbLoraAdapter full = VbLoraAdapter.of(peft.config().toBuilder().topk(3).build(), peft.vectorBank(), peaked);
    VbLoraAdapter topK = full.toTopK();
    Path folder = Files.createDirectories(temp.resolve("peaked-" + dtype));
    Files.writeString(folder.resolve(AdapterConfig.FILE_NAME), topK.config().toJson());
    SafetensorsFile rounded = rounded(VbLoraSafetensors.toFile(topK), dtype);
    SafetensorsWriter.write(rounded, folder.resolve(AdapterFolder.WEIGHTS_FILE));
    assertTrue(largestWeightSum(rounded) > 1, "the case in question: stored weights that sum past 1");

    VbLoraAdapter read = VbLoraAdapter.read(folder);
    for (String path : full.modulePaths()) {
      double error = PeftFixtures.relativeError(read.deltaWeights(path).pytorchWeight(),
          PeftFixtures.flatten(full.deltaWeights(path).pytorchWeight()));
      assertTrue(error <= 16 * dtype.unitRoundoff(), path + ": relative error " + error + " in " + dtype);
    }
  }

  private Path copyIn(String fixture, Dtype dtype) throws IOException {
    Path folder = Files.createDirectories(temp.resolve(fixture + "-" + dtype));
    Files.copy(PeftFixtures.folder(fixture).resolve(AdapterConfig.FILE_NAME), folder.resolve(AdapterConfig.FILE_NAME));
    SafetensorsFile file = SafetensorsReader.read(PeftFixtures.folder(fixture).resolve(AdapterFolder.WEIGHTS_FILE));
    SafetensorsWriter.write(rounded(file, dtype), folder.resolve(AdapterFolder.WEIGHTS_FILE));
    return folder;
  }

  /** Every floating-point tensor of {@code file} in {@code dtype} (indices stay as they are). */
  private static SafetensorsFile rounded(SafetensorsFile file, Dtype dtype) {
    Map<String, StoredTensor> tensors = new LinkedHashMap<>();
    file.tensors().forEach((key, tensor) -> tensors.put(key, tensor.dtype().isFloatingPoint()
        ? StoredTensor.ofFloats(dtype, tensor.shape(), tensor.toFloats()) : tensor));
    assertEquals(file.tensors().keySet(), tensors.keySet());
    return new SafetensorsFile(file.metadata(), tensors);
  }

  private static FullLogits scaled(FullLogits logits, float factor) {
    float[] values = logits.values();
    for (int i = 0; i < values.length; i++) {
      values[i] *= factor;
    }
    return new FullLogits(logits.rows(), logits.cols(), logits.numVectors(), values);
  }

  private static double largestWeightSum(SafetensorsFile file) {
    double largest = 0;
    for (Map.Entry<String, StoredTensor> entry : file.tensors().entrySet()) {
      if (entry.getKey().endsWith("_topk_weights")) {
        float[] w = entry.getValue().toFloats();
        for (int s = 0; s < w.length; s += 2) {
          largest = Math.max(largest, (double) w[s] + w[s + 1]);
        }
      }
    }
    return largest;
  }
}
