package dev.finetune.vblora.savedmodel.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.ops.testing.SharedFolder;
import dev.finetune.vblora.savedmodel.SavedModelReader;
import dev.finetune.vblora.savedmodel.adapter.AdapterHead;
import dev.finetune.vblora.savedmodel.adapter.FullLogits;
import dev.finetune.vblora.savedmodel.adapter.LoraAdapter;
import dev.finetune.vblora.savedmodel.adapter.LoraModule;
import dev.finetune.vblora.savedmodel.adapter.PeftLoraConfig;
import dev.finetune.vblora.savedmodel.adapter.PeftVbLoraConfig;
import dev.finetune.vblora.savedmodel.adapter.StoredTensor;
import dev.finetune.vblora.savedmodel.adapter.ToolMetadata;
import dev.finetune.vblora.savedmodel.adapter.VbLoraAdapter;
import dev.finetune.vblora.savedmodel.adapter.VbLoraModule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TString;

/**
 * One model, many adapters, on the Keras MLP fixture (Dense 72 -> 256 -> 256 -> 256 -> 1): three adapters with
 * random weights (two VB-LoRA of different rank, bank size and k, one LoRA; two with a classification head on
 * the model's output, one without) are exported together; every example, alone or in a batch mixing adapters and
 * "base", gets what that adapter's merged SavedModel (written by the existing merge) gives to 1e-5, through the
 * signature of a freshly loaded SavedModelBundle, and "base" gives the untouched model's output.
 */
class MultiAdapterModelTest {
  private static final List<String> MODULES = List.of("dense", "dense_1", "dense_2");
  private static final int B = 8;
  private static final int ROWS = 7;
  private static Path base;

  @TempDir
  static Path dir;
  private static Path alpha;
  private static Path beta;
  private static Path gamma;
  private static float[][] inputs;

  @BeforeAll
  static void adapters() throws Exception {
    base = SharedFolder.resolve("fixtures/tf2/keras_dense_mlp");
    alpha = dir.resolve("alpha");
    vbLora(2, 16, 2, true, 1).write(alpha, false);
    beta = dir.resolve("beta");
    vbLora(4, 12, 3, false, 2).write(beta, false);
    gamma = dir.resolve("gamma");
    lora(3, 3).write(gamma, false);
    Random random = new Random(9);
    inputs = new float[ROWS][72];
    for (float[] row : inputs) {
      for (int j = 0; j < row.length; j++) {
        row[j] = (float) (random.nextGaussian() * 0.2);
      }
    }
  }

  @Test
  void eachExampleGetsWhatItsAdaptersMergedModelGivesInMixedBatches() throws Exception {
    Path multi = dir.resolve("multi");
    List<String> names = MultiAdapterModel.write(MultiAdapterModel.Request.builder(base, multi)
        .adapter(alpha).adapter("b", beta).adapter(gamma).build());
    assertEquals(List.of("alpha", "b", "gamma"), names);
    Map<String, Map<String, float[][]>> expected = new LinkedHashMap<>();
    expected.put("alpha", served(merged(alpha, "m_alpha"), null));
    expected.put("b", served(merged(beta, "m_beta"), null));
    expected.put("gamma", served(merged(gamma, "m_gamma"), null));
    expected.put("base", served(base, null));

    String[] mixed = {"alpha", "b", "gamma", "base", "gamma", "alpha", "b"};
    try (SavedModelBundle bundle = SavedModelBundle.load(multi.toString(), "serve")) {
      Map<String, float[][]> got = run(bundle, "serving_default", TString.vectorOf(mixed));
      for (int row = 0; row < ROWS; row++) {
        Map<String, float[][]> want = expected.get(mixed[row]);
        assertClose(want.get("dense_3")[row], got.get("dense_3")[row], mixed[row] + " row " + row);
        if (want.containsKey("probabilities")) {
          assertClose(want.get("logits")[row], got.get("logits")[row], mixed[row] + " logits row " + row);
          assertClose(want.get("probabilities")[row], got.get("probabilities")[row], mixed[row] + " row " + row);
        } else {
          assertTrue(Float.isNaN(got.get("logits")[row][0]), mixed[row] + " has no head: its logits are NaN");
        }
      }
      for (String name : List.of("alpha", "b", "gamma", "base")) {
        String[] all = new String[ROWS];
        java.util.Arrays.fill(all, name);
        Map<String, float[][]> alone = run(bundle, "serving_default", TString.vectorOf(all));
        for (int row = 0; row < ROWS; row++) {
          assertClose(expected.get(name).get("dense_3")[row], alone.get("dense_3")[row], name + " row " + row);
        }
      }
      int[] indices = {2, 3, 0, 1, 0, 2, 1};
      Map<String, float[][]> byIndex = run(bundle, MultiAdapterExporter.BY_INDEX_SIGNATURE, TInt32.vectorOf(indices));
      List<String> order = List.of("alpha", "b", "gamma", "base");
      for (int row = 0; row < ROWS; row++) {
        assertClose(expected.get(order.get(indices[row])).get("dense_3")[row], byIndex.get("dense_3")[row],
            "index " + indices[row] + " row " + row);
      }
    }
  }

  @Test
  void anUnknownAdapterNameOrIndexFailsTheRequestNamingIt() throws Exception {
    Path multi = dir.resolve("multi_unknown");
    MultiAdapterModel.write(MultiAdapterModel.Request.builder(base, multi).adapter(alpha).adapter(gamma).build());
    RuntimeException e = assertThrows(RuntimeException.class,
        () -> served(multi, new String[] {"alpha", "nobody", "gamma", "alpha", "base", "alpha", "alpha"}));
    assertTrue(e.getMessage().contains("unknown adapter") && e.getMessage().contains("nobody"), e.getMessage());
    try (SavedModelBundle bundle = SavedModelBundle.load(multi.toString(), "serve")) {
      RuntimeException index = assertThrows(RuntimeException.class, () -> run(bundle,
          MultiAdapterExporter.BY_INDEX_SIGNATURE, TInt32.vectorOf(0, 1, 2, 3, 0, 1, 2)));
      assertTrue(index.getMessage().contains("adapter_index must be in [0, 2]") && index.getMessage().contains("3"),
          index.getMessage());
    }
  }

  @Test
  void duplicateNamesAreRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> MultiAdapterModel.Request.builder(base, dir.resolve("dup")).adapter("x", alpha).adapter("x", beta));
    assertTrue(e.getMessage().contains("\"x\""), e.getMessage());
    IllegalArgumentException reserved = assertThrows(IllegalArgumentException.class,
        () -> MultiAdapterModel.write(MultiAdapterModel.Request.builder(base, dir.resolve("reserved"))
            .adapter("base", alpha).build()));
    assertTrue(reserved.getMessage().contains("reserved"), reserved.getMessage());
  }

  @Test
  void adaptersWithOtherTargetsOrForAnotherModelAreRefusedByName() throws Exception {
    Path fewer = dir.resolve("fewer");
    PeftVbLoraConfig config = vbConfig(2, 16, 2, MODULES.subList(1, 3), false);
    VbLoraAdapter.of(config, bank(16, 4), List.of(vbModule("dense_1", 256, 2, 16, new Random(4)),
        vbModule("dense_2", 256, 2, 16, new Random(5)))).write(fewer, false);
    IllegalArgumentException other = assertThrows(IllegalArgumentException.class,
        () -> MultiAdapterModel.write(MultiAdapterModel.Request.builder(base, dir.resolve("o"))
            .adapter(alpha).adapter(fewer).build()));
    assertTrue(other.getMessage().contains("adapter fewer") && other.getMessage().contains("dense/kernel"),
        other.getMessage());

    Path wrongBase = dir.resolve("wrong_base");
    LoraModule wide = new LoraModule("dense", 2, 128, 256, new float[2 * 128], new float[256 * 2]);
    LoraAdapter.of(loraConfig(2, List.of("dense")), List.of(wide)).write(wrongBase, false);
    IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class,
        () -> MultiAdapterModel.write(MultiAdapterModel.Request.builder(base, dir.resolve("w"))
            .adapter(alpha).adapter(wrongBase).build()));
    assertTrue(wrong.getMessage().contains("adapter wrong_base") && wrong.getMessage().contains("128"),
        wrong.getMessage());
  }

  /**
   * On a sequence model (Keras MultiHeadAttention, Einsum kernels on [batch, 30, 6] activations) each example's
   * update reaches only its own 30 positions: a mixed batch gives each example its merged model's output, which
   * attention over the sequence would spoil if rows were grouped by the wrong example.
   */
  @Test
  void sequenceExamplesOfOneBatchKeepTheirOwnAdapters() throws Exception {
    Path encoder = SharedFolder.resolve("fixtures/tf2/keras_mha1_encoder");
    String scope = "transformer_encoder_27/multi_head_attention_27/";
    Map<String, String> targets = new LinkedHashMap<>();
    targets.put("query", scope + "query/kernel");
    targets.put("value", scope + "value/kernel");
    Path[] folders = new Path[2];
    for (int a = 0; a < 2; a++) {
      Random random = new Random(20 + a);
      List<VbLoraModule> modules = new ArrayList<>();
      for (String module : targets.keySet()) {
        modules.add(new VbLoraModule(module, new FullLogits(2, 3, 6, gaussian(2 * 3 * 6, 1, random)),
            new FullLogits(32, 2, 6, gaussian(32 * 2 * 6, 1, random))));
      }
      float[][] bank = new float[6][];
      for (int i = 0; i < 6; i++) {
        bank[i] = gaussian(2, 0.5, random);
      }
      PeftVbLoraConfig config = PeftVbLoraConfig.builder().r(2).numVectors(6).vectorLength(2).topk(2)
          .saveOnlyTopkWeights(false).targetModules(List.copyOf(targets.keySet()))
          .toolMetadata(new ToolMetadata("keras_mha1_encoder", targets, null, List.of(), Map.of(), "test")).build();
      folders[a] = dir.resolve("mha_" + a);
      VbLoraAdapter.of(config, bank, modules).write(folders[a], false);
    }
    Path multi = dir.resolve("mha_multi");
    MultiAdapterModel.write(MultiAdapterModel.Request.builder(encoder, multi).adapter("one", folders[0])
        .adapter("two", folders[1]).build());
    // The model's other files come along as a merge copies them; its checkpoint as it is; no stale fingerprint.
    for (String file : List.of("keras_metadata.pb", "variables/variables.index",
        "variables/variables.data-00000-of-00001")) {
      assertArrayEquals(Files.readAllBytes(encoder.resolve(file)), Files.readAllBytes(multi.resolve(file)), file);
    }
    assertFalse(Files.exists(multi.resolve("fingerprint.pb")), "the base's fingerprint describes another graph");
    float[][][] x = new float[4][30][6];
    Random random = new Random(3);
    for (float[][] example : x) {
      for (float[] position : example) {
        for (int j = 0; j < 6; j++) {
          position[j] = (float) random.nextGaussian();
        }
      }
    }
    float[][] one = encoderOutput(mergedFrom(encoder, folders[0], "mha_m0"), x);
    float[][] two = encoderOutput(mergedFrom(encoder, folders[1], "mha_m1"), x);
    float[][] untouched = encoderOutput(encoder, x);
    String[] chosen = {"two", "one", "base", "two"};
    float[][] mixed;
    try (MultiAdapterSession session = MultiAdapterSession.open(multi);
         TFloat32 input = TFloat32.tensorOf(StdArrays.ndCopyOf(x));
         Result result = session.run(Map.of("input_28", input), List.of(chosen), List.of("dense_83"))) {
      mixed = StdArrays.array2dCopyOf((TFloat32) result.get(0));
    }
    try (MultiAdapterSession session = MultiAdapterSession.open(multi);
         TFloat32 input = TFloat32.tensorOf(StdArrays.ndCopyOf(x))) {
      // Fewer names than examples used to give every example the first name; more, a reshape error.
      for (List<String> names : List.of(List.of("one"), List.of("one", "two", "base", "one", "two"),
          List.<String>of())) {
        VbLoraException e = assertThrows(VbLoraException.class,
            () -> session.run(Map.of("input_28", input), names, List.of("dense_83")), names.toString());
        assertTrue(e.getMessage().contains("input 'input_28' holds 4 examples but " + names.size()
            + " adapter names were given; give one name per example ('base' for the untouched model)"),
            e.getMessage());
      }
      VbLoraException missing = assertThrows(VbLoraException.class,
          () -> session.run(Map.of(), List.of(chosen), List.of("dense_83")));
      assertTrue(missing.getMessage().contains("the batch lacks the model's input(s) input_28"), missing.getMessage());
    }
    for (int i = 0; i < chosen.length; i++) {
      float[] want = chosen[i].equals("one") ? one[i] : chosen[i].equals("two") ? two[i] : untouched[i];
      assertClose(want, mixed[i], chosen[i] + " example " + i);
    }
    assertTrue(Math.abs(one[0][0] - two[0][0]) > 1e-3, "the two adapters give different outputs");
  }

  // --- fixtures -------------------------------------------------------------------------------------------

  private static Path merged(Path adapter, String name) throws Exception {
    return mergedFrom(base, adapter, name);
  }

  private static Path mergedFrom(Path model, Path adapter, String name) throws Exception {
    Path out = dir.resolve(name);
    MergedModel.write(model, "serve", AdapterDeltas.read(adapter,
        SavedModelReader.read(model, Set.of("serve")), "serving_default"), adapter, out, false, warning -> {});
    return out;
  }

  private static float[][] encoderOutput(Path model, float[][][] x) {
    try (SavedModelBundle bundle = SavedModelBundle.load(model.toString(), "serve");
         TFloat32 input = TFloat32.tensorOf(StdArrays.ndCopyOf(x))) {
      SignatureDef signature = bundle.metaGraphDef().getSignatureDefMap().get("serving_default");
      Session.Runner runner = bundle.session().runner()
          .feed(signature.getInputsMap().get("input_28").getName(), input)
          .fetch(signature.getOutputsMap().get("dense_83").getName());
      try (Result result = runner.run()) {
        return StdArrays.array2dCopyOf((TFloat32) result.get(0));
      }
    }
  }

  /** Every float output of serving_default for the inputs, with {@code adapters} fed when given. */
  private static Map<String, float[][]> served(Path model, String[] adapters) {
    try (SavedModelBundle bundle = SavedModelBundle.load(model.toString(), "serve")) {
      return run(bundle, "serving_default", adapters == null ? null : TString.vectorOf(adapters));
    }
  }

  /** Every output of {@code signatureKey} for the inputs and {@code choice} (closed here; none: not fed). */
  private static Map<String, float[][]> run(SavedModelBundle bundle, String signatureKey, Tensor choice) {
    try (TFloat32 x = TFloat32.tensorOf(StdArrays.ndCopyOf(inputs));
         Tensor chosen = choice) {
      SignatureDef signature = bundle.metaGraphDef().getSignatureDefMap().get(signatureKey);
      Session.Runner runner = bundle.session().runner()
          .feed(signature.getInputsMap().get("dense_input").getName(), x);
      if (chosen != null) {
        String key = signatureKey.equals("serving_default") ? "adapter" : "adapter_index";
        runner.feed(signature.getInputsMap().get(key).getName(), chosen);
      }
      List<String> keys = new ArrayList<>(signature.getOutputsMap().keySet());
      keys.forEach(k -> runner.fetch(signature.getOutputsMap().get(k).getName()));
      Map<String, float[][]> outputs = new LinkedHashMap<>();
      try (Result result = runner.run()) {
        for (int i = 0; i < keys.size(); i++) {
          TFloat32 t = (TFloat32) result.get(i);
          outputs.put(keys.get(i), t.rank() == 1 ? new float[][] {StdArrays.array1dCopyOf(t)}
              : StdArrays.array2dCopyOf(t));
        }
      }
      return outputs;
    }
  }

  private static void assertClose(float[] want, float[] got, String what) {
    assertEquals(want.length, got.length, what);
    for (int i = 0; i < want.length; i++) {
      assertEquals(want[i], got[i], 1e-5 * Math.max(1, Math.abs(want[i])), what + " [" + i + "]");
    }
  }

  private static ToolMetadata metadata(List<String> modules, boolean head) {
    Map<String, String> targets = new LinkedHashMap<>();
    modules.forEach(m -> targets.put(m, m + "/kernel"));
    return new ToolMetadata("keras_dense_mlp", targets, head ? "classification" : null,
        head ? List.of("no", "yes") : List.of(), head ? Map.of(AdapterHead.FEATURES, "dense_3") : Map.of(),
        "test");
  }

  private static PeftVbLoraConfig vbConfig(int r, int h, int k, List<String> modules, boolean head) {
    return PeftVbLoraConfig.builder().r(r).numVectors(h).vectorLength(B).topk(k).saveOnlyTopkWeights(false)
        .targetModules(modules).toolMetadata(metadata(modules, head)).build();
  }

  private static PeftLoraConfig loraConfig(int r, List<String> modules) {
    return PeftLoraConfig.builder().r(r).loraAlpha(6).targetModules(modules)
        .toolMetadata(metadata(modules, false)).build();
  }

  private static VbLoraAdapter vbLora(int r, int h, int k, boolean head, long seed) {
    Random random = new Random(seed);
    List<VbLoraModule> modules = new ArrayList<>();
    for (String module : MODULES) {
      modules.add(vbModule(module, module.equals("dense") ? 72 : 256, r, h, random));
    }
    Map<String, StoredTensor> other = new LinkedHashMap<>();
    if (head) {
      float[] weight = {0.8f, -1.2f};
      other.put(AdapterHead.WEIGHT_KEY, StoredTensor.ofFloats(new long[] {2, 1}, weight));
      other.put(AdapterHead.BIAS_KEY, StoredTensor.ofFloats(new long[] {2}, new float[] {0.1f, -0.3f}));
    }
    return VbLoraAdapter.of(vbConfig(r, h, k, MODULES, head), bank(h, seed), modules, other);
  }

  private static VbLoraModule vbModule(String path, int in, int r, int h, Random random) {
    return new VbLoraModule(path, new FullLogits(r, in / B, h, gaussian(r * (in / B) * h, 1, random)),
        new FullLogits(256 / B, r, h, gaussian(256 / B * r * h, 1, random)));
  }

  private static float[][] bank(int h, long seed) {
    Random random = new Random(seed + 100);
    float[][] bank = new float[h][];
    for (int i = 0; i < h; i++) {
      bank[i] = gaussian(B, 0.1, random);
    }
    return bank;
  }

  private static LoraAdapter lora(int r, long seed) {
    Random random = new Random(seed);
    List<LoraModule> modules = new ArrayList<>();
    for (String module : MODULES) {
      int in = module.equals("dense") ? 72 : 256;
      modules.add(new LoraModule(module, r, in, 256, gaussian(r * in, 0.1, random), gaussian(256 * r, 0.1, random)));
    }
    return LoraAdapter.of(loraConfig(r, MODULES), modules);
  }

  private static float[] gaussian(int n, double std, Random random) {
    float[] values = new float[n];
    for (int i = 0; i < n; i++) {
      values[i] = (float) (random.nextGaussian() * std);
    }
    return values;
  }
}
