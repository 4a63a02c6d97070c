package dev.finetune.vblora.training.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.model.AdapterVariable;
import dev.finetune.vblora.model.PackedLogitsLayout;
import dev.finetune.vblora.model.VbLoraConfig;
import dev.finetune.vblora.ops.LayerShape;
import dev.finetune.vblora.savedmodel.adapter.AdapterFolder;
import dev.finetune.vblora.savedmodel.adapter.NonFiniteValueException;
import dev.finetune.vblora.savedmodel.adapter.SafetensorsFile;
import dev.finetune.vblora.savedmodel.adapter.SafetensorsReader;
import dev.finetune.vblora.savedmodel.export.KernelModulePaths;
import dev.finetune.vblora.training.TrainConfig;
import dev.finetune.vblora.training.head.TaskHead;
import dev.finetune.vblora.training.variables.HostTensor;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A VB-LoRA export cuts each module's PEFT logits out of the packed variables, and the manifest round-trips. */
class AdapterExportTest {
  private static final int R = 2;
  private static final int H = 3;
  private static final int B = 2;
  private static final String QUERY = "bert/encoder/layer_0/attention/self/query/kernel";   // [4, 2]
  private static final String VALUE = "bert/encoder/layer_0/attention/self/value/kernel";   // [2, 6]
  private static final List<LayerShape> LAYERS = List.of(new LayerShape(QUERY, 4, 2), new LayerShape(VALUE, 2, 6));
  private static final long[] SHAPE_A = {R, 2 + 1, H};       // in/b: 2 + 1
  private static final long[] SHAPE_B = {1 + 3, R, H};       // out/b: 1 + 3

  private static AdapterManifest manifest() {
    TrainConfig config = TrainConfig.builder().model("bert-base-uncased").train(Path.of("t.tsv"))
        .textColumn("sentence").labelColumn("label").out(Path.of("out"))
        .vbLora(VbLoraConfig.builder().numVectors(H).vectorLength(B).rank(R).topk(2).saveOnlyTopkWeights(false)
            .seed(42).build()).rank(R).build();
    List<AdapterVariable> variables = List.of(
        new AdapterVariable("vblora/vector_bank", AdapterVariable.BANK, "", List.of((long) H, (long) B), "", ""),
        new AdapterVariable("vblora/logits_A", AdapterVariable.LOGITS, "", List.of((long) R, 3L, (long) H), "", ""),
        new AdapterVariable("vblora/logits_B", AdapterVariable.LOGITS, "", List.of(4L, (long) R, (long) H), "", ""));
    return new AdapterManifest(config, List.of("neg", "pos"), variables,
        Optional.of(PackedLogitsLayout.of("vblora/logits_A", "vblora/logits_B", LAYERS, B)));
  }

  /** Values 0, 1, 2, ... (plus an offset), so every element says where it came from. */
  private static float[] counting(long[] shape, float start) {
    int n = 1;
    for (long d : shape) {
      n *= (int) d;
    }
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = start + i;
    }
    return v;
  }

  @Test
  void eachModuleGetsItsOwnLogitsInPeftsLayout(@TempDir Path dir) throws Exception {
    float[] packedA = counting(SHAPE_A, 0);
    float[] packedB = counting(SHAPE_B, 100);
    Map<String, HostTensor> values = new LinkedHashMap<>();
    values.put("vblora/vector_bank", HostTensor.ofFloats(new long[] {H, B}, counting(new long[] {H, B}, 500)));
    values.put("vblora/logits_A", HostTensor.ofFloats(SHAPE_A, packedA));
    values.put("vblora/logits_B", HostTensor.ofFloats(SHAPE_B, packedB));
    values.put(TaskHead.SCOPE + "/kernel", HostTensor.ofFloats(new long[] {3, 2}, counting(new long[] {3, 2}, 0)));
    values.put(TaskHead.SCOPE + "/bias", HostTensor.ofFloats(new long[] {2}, 0, 0));
    AdapterFolder.write(AdapterExport.toPeft(manifest(), values), dir, true);
    SafetensorsFile file = SafetensorsReader.read(dir.resolve(AdapterFolder.WEIGHTS_FILE));

    // logits_A [r, in/b, h]: the query's blocks are columns 0-1 of the packed [r, 3, h], the value's column 2.
    assertLogits(file, KernelModulePaths.modulePath(QUERY) + ".vblora_logits_A", new long[] {R, 2, H},
        blocksOfA(packedA, 0, 2));
    assertLogits(file, KernelModulePaths.modulePath(VALUE) + ".vblora_logits_A", new long[] {R, 1, H},
        blocksOfA(packedA, 2, 1));
    // logits_B [out/b, r, h]: the query's first row of the packed [4, r, h], the value's rows 1-3.
    assertLogits(file, KernelModulePaths.modulePath(QUERY) + ".vblora_logits_B", new long[] {1, R, H},
        java.util.Arrays.copyOfRange(packedB, 0, R * H));
    assertLogits(file, KernelModulePaths.modulePath(VALUE) + ".vblora_logits_B", new long[] {3, R, H},
        java.util.Arrays.copyOfRange(packedB, R * H, 4 * R * H));
  }

  /** Weights that are not finite are not exported: the adapter would merge into a model of NaN outputs. */
  @Test
  void trainedWeightsHoldingNanAreNotExported() {
    Map<String, HostTensor> values = new LinkedHashMap<>();
    float[] bank = counting(new long[] {H, B}, 500);
    bank[3] = Float.NaN;
    values.put("vblora/vector_bank", HostTensor.ofFloats(new long[] {H, B}, bank));
    values.put("vblora/logits_A", HostTensor.ofFloats(SHAPE_A, counting(SHAPE_A, 0)));
    values.put("vblora/logits_B", HostTensor.ofFloats(SHAPE_B, counting(SHAPE_B, 100)));
    values.put(TaskHead.SCOPE + "/kernel", HostTensor.ofFloats(new long[] {3, 2}, counting(new long[] {3, 2}, 0)));
    values.put(TaskHead.SCOPE + "/bias", HostTensor.ofFloats(new long[] {2}, 0, 0));
    NonFiniteValueException e = assertThrows(NonFiniteValueException.class,
        () -> AdapterExport.toPeft(manifest(), values));
    assertTrue(e.getMessage().contains("the vector bank (base_model.vblora_vector_bank) holds NaN at [1, 1]"),
        e.getMessage());
  }

  /** Columns {@code first} to {@code first + count} of a [r, 3, h] tensor, row-major. */
  private static float[] blocksOfA(float[] packed, int first, int count) {
    float[] out = new float[R * count * H];
    int k = 0;
    for (int r = 0; r < R; r++) {
      for (int j = first; j < first + count; j++) {
        for (int c = 0; c < H; c++) {
          out[k++] = packed[(r * 3 + j) * H + c];
        }
      }
    }
    return out;
  }

  private static void assertLogits(SafetensorsFile file, String module, long[] shape, float[] expected) {
    var tensor = file.tensor("base_model.model." + module).orElseThrow(() -> new AssertionError("no " + module));
    assertArrayEquals(shape, tensor.shape(), module);
    assertArrayEquals(expected, tensor.toFloats(), 0f, module);
  }

  @Test
  void theManifestKeepsTheLayoutThroughJson() {
    AdapterManifest manifest = manifest();
    AdapterManifest read = AdapterManifest.fromJson(dev.finetune.vblora.data.json.Json.parseObject(
        dev.finetune.vblora.data.json.Json.toCompactJson(manifest.toJson())));
    assertEquals(manifest.logitsLayout(), read.logitsLayout());
    assertEquals(manifest.labelNames(), read.labelNames());
  }

  @Test
  void aManifestWithPerKernelLogitsIsRefusedByName() {
    Map<String, Object> json = new LinkedHashMap<>(manifest().toJson());
    json.remove("logits_layout");
    json.put("adapter_variables", List.of(Map.of("name", "vblora/bert/encoder/layer_0/attention/self/query/logits_A",
        "group", "logits", "kernel", QUERY, "shape", List.of(2, 2, 3))));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AdapterManifest.fromJson(
        dev.finetune.vblora.data.json.Json.parseObject(dev.finetune.vblora.data.json.Json.toCompactJson(json))));
    assertTrue(e.getMessage().contains("one logits_A and one logits_B variable per kernel")
        && e.getMessage().contains("query/logits_A"), e.getMessage());
  }
}
