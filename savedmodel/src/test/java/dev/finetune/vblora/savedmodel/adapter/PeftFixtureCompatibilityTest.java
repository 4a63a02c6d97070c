package dev.finetune.vblora.savedmodel.adapter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every adapter PEFT wrote is read to PEFT's own delta weights and written back as PEFT writes it. */
class PeftFixtureCompatibilityTest {
  @TempDir
  Path temp;

  @ParameterizedTest
  @ValueSource(strings = {"qv_full", "qv_topk", "qv_topk_nv300", "all_linear_topk"})
  void deltaWeightsEqualPeftsOwn(String fixture) throws IOException {
    PeftAdapter adapter = AdapterFolder.read(PeftFixtures.folder(fixture));
    Map<String, StoredTensor> expected = PeftFixtures.expectedDeltas(fixture);
    assertEquals(expected.keySet(), Set.copyOf(adapter.modulePaths()), "adapted modules");
    double worst = 0;
    for (Map.Entry<String, StoredTensor> entry : expected.entrySet()) {
      DeltaWeights delta = adapter.deltaWeights(entry.getKey());
      StoredTensor reference = entry.getValue();
      assertEquals(reference.dim(0), delta.outFeatures(), "out_features of " + entry.getKey());
      assertEquals(reference.dim(1), delta.inFeatures(), "in_features of " + entry.getKey());
      float[][] pytorch = delta.pytorchWeight();
      double error = PeftFixtures.relativeError(pytorch, reference.toFloats());
      assertTrue(error <= 1e-6, entry.getKey() + ": relative error " + error);
      worst = Math.max(worst, error);
      float[][] kernel = delta.tfKernel();
      for (int o = 0; o < delta.outFeatures(); o++) {
        for (int i = 0; i < delta.inFeatures(); i++) {
          assertEquals(pytorch[o][i], kernel[i][o], "TF kernel is the transpose at [" + i + "][" + o + "]");
        }
      }
    }
    System.out.printf("%s: %d modules, max relative delta error vs PEFT %.3g%n", fixture, expected.size(), worst);
  }

  @ParameterizedTest
  @ValueSource(strings = {"qv_full", "qv_topk", "qv_topk_nv300", "all_linear_topk"})
  void writingBackGivesPeftsFilesByteForByte(String fixture) throws IOException {
    Path source = PeftFixtures.folder(fixture);
    PeftAdapter adapter = AdapterFolder.read(source);
    Path written = temp.resolve(fixture);
    AdapterFolder.write(adapter, written, false);

    Path ourWeights = written.resolve(AdapterFolder.WEIGHTS_FILE);
    Path peftWeights = source.resolve(AdapterFolder.WEIGHTS_FILE);
    assertEquals(SafetensorsReader.readHeader(peftWeights), SafetensorsReader.readHeader(ourWeights),
        "keys, dtypes, shapes, offsets and metadata");
    assertEquals(-1, Files.mismatch(peftWeights, ourWeights), "adapter_model.safetensors bytes");
    assertEquals(Files.readString(source.resolve(AdapterConfig.FILE_NAME)),
        Files.readString(written.resolve(AdapterConfig.FILE_NAME)), "adapter_config.json text");

    PeftAdapter reread = AdapterFolder.read(written);
    assertEquals(adapter.config(), reread.config().withToolMetadata(null), "PEFT's config as read");
    assertEquals(System.getProperty("vblora.projectVersion"), reread.config().toolMetadata().toolVersion(),
        "our metadata file beside it records the version that wrote it");
    for (String path : adapter.modulePaths()) {
      assertArrayEquals(adapter.deltaWeights(path).tfKernel(), reread.deltaWeights(path).tfKernel(), path);
    }
  }
}
