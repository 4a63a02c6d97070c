package dev.finetune.vblora.savedmodel.adapter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The point of VB-LoRA: the BERT-base q,v adapter of the paper's Sec. 3.4 is ~24k parameters, ~100 KB. */
class StoredParameterCountTest {
  private static final int LAYERS = 12;
  private static final int D = 768;
  private static final int H = 90;
  private static final int B = 256;
  private static final int R = 4;
  private static final int K = 2;

  @TempDir
  Path temp;

  @Test
  void bertBaseQueryValueTopKAdapterStoresTheDocumentedCount() throws IOException {
    VbLoraAdapter adapter = bertBaseQv(true).toTopK();
    // Paper formula for k=2 and uint8 indices: h*b + 3*L*M*r*(d/b), M=2 matrices (q, v) per layer
    long paper = (long) H * B + 3L * LAYERS * 2 * R * (D / B);
    // PEFT's get_nb_savable_parameters: bank + (logits/h)*(k-1) + (logits/h)*k*0.25 for uint8
    long logits = 24L * (R * (D / B) + (D / B) * R) * H;
    long peft = (long) (H * B + (double) logits / H * (K - 1) + (double) logits / H * K * 0.25);
    assertEquals(23_904, paper, "docs/vblora.md figure");
    assertEquals(paper, adapter.storedParameterCount());
    assertEquals(peft, adapter.storedParameterCount());

    Path folder = temp.resolve("vblora");
    adapter.write(folder, false);
    long bytes = Files.size(folder.resolve(AdapterFolder.WEIGHTS_FILE));
    assertEquals(Dtype.U8, SafetensorsReader.readHeader(folder.resolve(AdapterFolder.WEIGHTS_FILE)).entries()
        .stream().filter(e -> e.name().endsWith("_topk_indices")).findFirst().orElseThrow().dtype());
    System.out.printf("VB-LoRA BERT-base q,v top-k (h=90, b=256, r=4, k=2): %d stored params, "
        + "adapter_model.safetensors %d bytes, adapter_config.json %d bytes%n", adapter.storedParameterCount(),
        bytes, Files.size(folder.resolve(AdapterConfig.FILE_NAME)));
    // 92,160 bytes of bank + 3,456 of indices and weights; the rest is the JSON header PEFT writes too
    assertTrue(bytes < 110 * 1024, "top-k adapter file is " + bytes + " bytes");
  }

  @Test
  void fullLogitsCountBankPlusLogits() throws IOException {
    VbLoraAdapter adapter = bertBaseQv(false);
    long logits = 24L * 2 * R * (D / B) * H;
    assertEquals((long) H * B + logits, adapter.storedParameterCount());
    Path folder = temp.resolve("full");
    adapter.write(folder, false);
    System.out.printf("VB-LoRA BERT-base q,v full logits: %d params, adapter_model.safetensors %d bytes%n",
        adapter.storedParameterCount(), Files.size(folder.resolve(AdapterFolder.WEIGHTS_FILE)));
  }

  @Test
  void loraRank8BaselineForTheSameTargets() throws IOException {
    Random random = new Random(7);
    List<LoraModule> modules = new ArrayList<>();
    for (String path : queryValuePaths()) {
      modules.add(new LoraModule(path, 8, D, D, gaussian(random, 8 * D), gaussian(random, D * 8)));
    }
    PeftLoraConfig config = PeftLoraConfig.builder().r(8).loraAlpha(16).targetModules(List.of("query", "value"))
        .build();
    LoraAdapter lora = LoraAdapter.of(config, modules);
    assertEquals(24L * 8 * (D + D), lora.storedParameterCount());
    Path folder = temp.resolve("lora");
    lora.write(folder, false);
    Path file = folder.resolve(AdapterFolder.WEIGHTS_FILE);
    SafetensorsHeader header = SafetensorsReader.readHeader(file);
    assertEquals(24L * 2 * 8 * D * 4, header.dataSize(), "float32 lora_A and lora_B data");
    System.out.printf("LoRA r=8 BERT-base q,v: %d params, adapter_model.safetensors %d bytes%n",
        lora.storedParameterCount(), Files.size(file));
  }

  /** 24 modules of 768x768 with random full logits. */
  private static VbLoraAdapter bertBaseQv(boolean saveOnlyTopk) {
    Random random = new Random(42);
    float[][] bank = new float[H][B];
    for (float[] row : bank) {
      for (int j = 0; j < B; j++) {
        row[j] = (random.nextFloat() * 2 - 1) * 0.02f;
      }
    }
    List<VbLoraModule> modules = new ArrayList<>();
    for (String path : queryValuePaths()) {
      modules.add(new VbLoraModule(path, new FullLogits(R, D / B, H, gaussian(random, R * (D / B) * H)),
          new FullLogits(D / B, R, H, gaussian(random, (D / B) * R * H))));
    }
    PeftVbLoraConfig config = PeftVbLoraConfig.builder().r(R).numVectors(H).vectorLength(B).topk(K)
        .targetModules(List.of("query", "value")).saveOnlyTopkWeights(saveOnlyTopk).build();
    return VbLoraAdapter.of(config, bank, modules);
  }

  private static List<String> queryValuePaths() {
    List<String> paths = new ArrayList<>();
    for (int layer = 0; layer < LAYERS; layer++) {
      for (String projection : List.of("query", "value")) {
        paths.add(ModulePathMapping.toModulePath(
            "bert/encoder/layer_" + layer + "/attention/self/" + projection + "/kernel"));
      }
    }
    return paths;
  }

  private static float[] gaussian(Random random, int n) {
    float[] values = new float[n];
    for (int i = 0; i < n; i++) {
      values[i] = (float) (random.nextGaussian() * 0.1);
    }
    return values;
  }
}
