package dev.finetune.vblora.savedmodel.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.ops.testing.SharedFolder;
import dev.finetune.vblora.savedmodel.SavedModelReader;
import dev.finetune.vblora.savedmodel.adapter.AdapterFormatException;
import dev.finetune.vblora.savedmodel.adapter.SafetensorsFile;
import dev.finetune.vblora.savedmodel.adapter.SafetensorsReader;
import dev.finetune.vblora.savedmodel.adapter.SafetensorsWriter;
import dev.finetune.vblora.savedmodel.adapter.StoredTensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.SessionFunction;
import org.tensorflow.Signature;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

/**
 * The deploy path on its own (this module's classpath has nothing of training): an adapter that Hugging Face PEFT
 * wrote (shared/fixtures/peft, for a tiny BertModel: hidden 256, two layers, query and value adapted) merged
 * into a base SavedModel of the same layout by {@link MergedModel#merge}. Each adapted kernel of the merged model
 * must be the base kernel plus PEFT's own delta weight (transposed: PEFT's [out, in] is a TF kernel's [in, out]),
 * every other kernel untouched, and the merged model must serve what plain Java computes with those kernels.
 */
class PeftAdapterMergeTest {
  private static final int HIDDEN = 256;
  private static final int LAYERS = 2;
  private static final List<String> PROJECTIONS = List.of("query", "key", "value");
  private static final int ROWS = 3;
  /** Top-k weights with uint8 indices, PEFT's default layout (PeftFixtureCompatibilityTest reads every layout). */
  private static final String FIXTURE = "qv_topk";

  @TempDir static Path dir;
  private static Path base;
  /** The base model's kernels, [in][out], by variable name. */
  private static final Map<String, float[][]> BASE_KERNELS = new LinkedHashMap<>();

  /**
   * A TF1-style SavedModel with BERT's kernel names, bert/encoder/layer_N/attention/self/{query,key,value}/kernel
   * (the names an adapter for transformers' BertModel maps to), each layer computing h(xWq + xWk + xWv).
   */
  @BeforeAll
  static void writeBaseModel() throws Exception {
    Random random = new Random(7);
    for (int layer = 0; layer < LAYERS; layer++) {
      for (String projection : PROJECTIONS) {
        float[][] kernel = new float[HIDDEN][HIDDEN];
        for (float[] row : kernel) {
          for (int o = 0; o < HIDDEN; o++) {
            row[o] = (float) (random.nextGaussian() * 0.05);
          }
        }
        BASE_KERNELS.put(kernelName(layer, projection), kernel);
      }
    }
    base = dir.resolve("base");
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(-1, HIDDEN)));
      Operand<TFloat32> h = x;
      // TF-Java names ops one scope at a time: bert/encoder once, then a scope per layer
      Ops encoder = tf.withSubScope("bert").withSubScope("encoder");
      for (int layer = 0; layer < LAYERS; layer++) {
        Ops attention = encoder.withSubScope("layer_" + layer).withSubScope("attention").withSubScope("self");
        Operand<TFloat32> sum = null;
        for (String projection : PROJECTIONS) {
          Operand<TFloat32> kernel = attention.withSubScope(projection).withName("kernel")
              .variable(tf.constant(BASE_KERNELS.get(kernelName(layer, projection))));
          Operand<TFloat32> product = tf.linalg.matMul(h, kernel);
          sum = sum == null ? product : tf.math.add(sum, product);
        }
        h = sum;
      }
      try (Session session = new Session(graph)) {
        session.initialize();
        Signature signature = Signature.builder().key("serving_default").input("x", x).output("y", h).build();
        SavedModelBundle.exporter(base.toString()).withFunction(SessionFunction.create(signature, session)).export();
      }
    }
  }

  @Test
  void aPeftAdapterMergesIntoItsBaseAsBasePlusPeftsOwnDeltaWeights(@TempDir Path out) throws Exception {
    Path adapter = SharedFolder.resolve("fixtures/peft/" + FIXTURE);
    Map<String, float[][]> expected = new LinkedHashMap<>(BASE_KERNELS);
    Set<String> adapted = new HashSet<>();
    Map<String, StoredTensor> peftDeltas =
        SafetensorsReader.read(adapter.resolve("expected_delta_weights.safetensors")).tensors();
    peftDeltas.forEach((key, delta) -> {
      // encoder.layer.0.attention.self.query.delta_weight -> bert/encoder/layer_0/attention/self/query/kernel
      String[] parts = key.split("\\.");
      String variable = kernelName(Integer.parseInt(parts[2]), parts[5]);
      expected.put(variable, plus(BASE_KERNELS.get(variable), delta.toFloats()));
      adapted.add(variable);
    });
    assertEquals(4, adapted.size(), "the fixture adapts query and value of both layers");

    Path merged = out.resolve("merged");
    AdapterDeltas deltas = MergedModel.merge(base, adapter, merged);

    assertEquals(4, deltas.deltas().size(), "one update per adapted kernel");
    assertTrue(deltas.head().isEmpty(), "PEFT saved no head (modules_to_save is null)");
    float[][] input = new float[ROWS][HIDDEN];
    Random random = new Random(11);
    for (float[] row : input) {
      for (int i = 0; i < HIDDEN; i++) {
        row[i] = (float) random.nextGaussian();
      }
    }
    try (SavedModelBundle bundle = SavedModelBundle.load(merged.toString(), "serve")) {
      for (Map.Entry<String, float[][]> kernel : expected.entrySet()) {
        float[][] actual = fetch(bundle.session(), kernel.getKey());
        float tolerance = adapted.contains(kernel.getKey()) ? 1e-6f : 0f; // untouched kernels: bit for bit
        for (int i = 0; i < HIDDEN; i++) {
          assertArrayEquals(kernel.getValue()[i], actual[i], tolerance, kernel.getKey() + " row " + i);
        }
      }
      try (Tensor x = TFloat32.tensorOf(StdArrays.ndCopyOf(input));
          Result result = bundle.session().runner().feed("x", x).fetch(outputName(bundle)).run()) {
        float[][] served = StdArrays.array2dCopyOf((TFloat32) result.get(0));
        double[][] reference = forward(input, expected);
        for (int r = 0; r < ROWS; r++) {
          for (int o = 0; o < HIDDEN; o++) {
            assertEquals(reference[r][o], served[r][o], 1e-4 * (1 + Math.abs(reference[r][o])),
                "served output [" + r + "][" + o + "]");
          }
        }
      }
    }
  }

  /**
   * Merging an adapter into a model that already holds it would add its update a second time, and nothing in the
   * served outputs would show it: the merged model records a fingerprint of each adapter merged into it, and a
   * second merge of the same adapter, from any folder, is refused before anything is written.
   */
  /** A null path used to fail as a bare NullPointerException from inside the reader. */
  @Test
  void aNullFolderSaysWhichOneIsMissingAndWritesNothing(@TempDir Path out) {
    Path adapter = Path.of("adapter");
    NullPointerException noBase = assertThrows(NullPointerException.class,
        () -> MergedModel.merge((Path) null, adapter, out.resolve("merged")));
    assertTrue(noBase.getMessage().startsWith("baseModel is null"), noBase.getMessage());
    NullPointerException noAdapter = assertThrows(NullPointerException.class,
        () -> MergedModel.merge(base, null, out.resolve("merged")));
    assertTrue(noAdapter.getMessage().startsWith("adapterDir is null"), noAdapter.getMessage());
    NullPointerException noTarget = assertThrows(NullPointerException.class,
        () -> MergedModel.merge(base, adapter, null));
    assertTrue(noTarget.getMessage().startsWith("target is null"), noTarget.getMessage());
    assertTrue(Files.notExists(out.resolve("merged")));
  }

  @Test
  void anAdapterIsNotMergedAgainIntoAModelThatAlreadyHoldsIt(@TempDir Path out) throws Exception {
    Path adapter = SharedFolder.resolve("fixtures/peft/" + FIXTURE);
    Path merged = out.resolve("merged");
    MergedModel.merge(base, adapter, merged);
    assertEquals(1, MergedAdapters.read(merged).size(), "the merged model records what was merged into it");

    Path copy = Files.createDirectories(out.resolve("elsewhere/adapter"));
    for (String file : List.of("adapter_config.json", "adapter_model.safetensors")) {
      Files.copy(adapter.resolve(file), copy.resolve(file));
    }
    for (Path again : List.of(adapter, copy)) {
      Path twice = out.resolve("twice");
      VbLoraException e = assertThrows(VbLoraException.class, () -> MergedModel.merge(merged, again, twice));
      assertTrue(e.getMessage().startsWith(merged + " already has this adapter merged in"), e.getMessage());
      assertTrue(e.getMessage().contains("merging " + again + " again would apply its update twice: merge it"
          + " into the base model the adapter was trained on instead"), e.getMessage());
      assertTrue(Files.notExists(twice), "nothing is written");
    }
  }

  /**
   * Another adapter on top of a merged model adds its update to the first one's (stacking): allowed, since it
   * can be meant, but the caller is told which adapter is already in the model, and the new model records both.
   */
  @Test
  void stackingAnotherAdapterOnAMergedModelWarnsNamingTheAdapterBeneath(@TempDir Path out) throws Exception {
    Path first = SharedFolder.resolve("fixtures/peft/" + FIXTURE);
    Path second = SharedFolder.resolve("fixtures/peft/qv_topk_nv300");
    Path merged = out.resolve("merged");
    MergedModel.merge(base, first, merged);
    MergedAdapters.Entry beneath = MergedAdapters.read(merged).get(0);

    List<String> warnings = new ArrayList<>();
    Path stacked = out.resolve("stacked");
    MergedModel.merge(SavedModelReader.read(merged), "serve", "serving_default", second, stacked, false,
        warnings::add);

    assertEquals(1, warnings.size(), warnings.toString());
    assertTrue(warnings.get(0).startsWith(merged + " is a merged model that already holds adapter "
        + beneath.fingerprint().substring(0, 19) + "... (4 kernels)"), warnings.get(0));
    assertTrue(warnings.get(0).contains("stacked"), warnings.get(0));
    List<MergedAdapters.Entry> record = MergedAdapters.read(stacked);
    assertEquals(2, record.size(), record.toString());
    assertEquals(beneath, record.get(0));
    assertNotEquals(beneath.fingerprint(), record.get(1).fingerprint(), "another adapter, another fingerprint");
  }

  /**
   * PEFT saves more beside the adapter's weights than the one head a merge places (classifier.weight + .bias):
   * RoBERTa's two-layer classifier, a "score" head without bias, half a head. Merged, the model would lack them and
   * serve something other than what was trained; refused before anything is written, naming the folder, the
   * tensors and what to do.
   */
  @ParameterizedTest
  @ValueSource(strings = {"classifier.dense.weight:4x256 classifier.dense.bias:4 classifier.out_proj.weight:2x4"
      + " classifier.out_proj.bias:2", "score.weight:2x256", "classifier.weight:2x256"})
  void tensorsAMergeCannotPlaceAreRefusedNotDropped(String saved, @TempDir Path out) throws Exception {
    Path adapter = Files.createDirectories(out.resolve("adapter"));
    Path fixture = SharedFolder.resolve("fixtures/peft/" + FIXTURE);
    Files.copy(fixture.resolve("adapter_config.json"), adapter.resolve("adapter_config.json"));
    SafetensorsFile file = SafetensorsReader.read(fixture.resolve("adapter_model.safetensors"));
    Map<String, StoredTensor> tensors = new LinkedHashMap<>(file.tensors());
    List<String> keys = new ArrayList<>();
    for (String entry : saved.split(" ")) {
      String key = "base_model.model." + entry.substring(0, entry.indexOf(':'));
      long[] shape = Arrays.stream(entry.substring(entry.indexOf(':') + 1).split("x")).mapToLong(Long::parseLong)
          .toArray();
      tensors.put(key, StoredTensor.ofFloats(shape, new float[(int) Arrays.stream(shape).reduce(1, (a, b) -> a * b)]));
      keys.add(key);
    }
    SafetensorsWriter.write(new SafetensorsFile(file.metadata(), tensors), adapter.resolve("adapter_model.safetensors"));

    Path merged = out.resolve("merged");
    AdapterFormatException e = assertThrows(AdapterFormatException.class, () -> MergedModel.merge(base, adapter, merged));
    String message = e.getMessage();
    assertTrue(message.startsWith(adapter + ": adapter_model.safetensors holds "), message);
    for (String key : keys) {
      assertTrue(message.contains(key), key + " named in: " + message);
    }
    assertTrue(message.contains("save the adapter without them (in PEFT: modules_to_save=None"), message);
    assertTrue(Files.notExists(merged), "nothing is written");
  }

  private static String kernelName(int layer, String projection) {
    return "bert/encoder/layer_" + layer + "/attention/self/" + projection + "/kernel";
  }

  /** W [in][out] + delta given as PyTorch's [out][in], row-major. */
  private static float[][] plus(float[][] kernel, float[] delta) {
    float[][] sum = new float[HIDDEN][HIDDEN];
    for (int i = 0; i < HIDDEN; i++) {
      for (int o = 0; o < HIDDEN; o++) {
        sum[i][o] = kernel[i][o] + delta[o * HIDDEN + i];
      }
    }
    return sum;
  }

  /** The base model's computation in float64 with {@code kernels}. */
  private static double[][] forward(float[][] input, Map<String, float[][]> kernels) {
    double[][] h = new double[input.length][HIDDEN];
    for (int r = 0; r < input.length; r++) {
      for (int i = 0; i < HIDDEN; i++) {
        h[r][i] = input[r][i];
      }
    }
    for (int layer = 0; layer < LAYERS; layer++) {
      double[][] next = new double[input.length][HIDDEN];
      for (String projection : PROJECTIONS) {
        float[][] kernel = kernels.get(kernelName(layer, projection));
        for (int r = 0; r < input.length; r++) {
          for (int i = 0; i < HIDDEN; i++) {
            for (int o = 0; o < HIDDEN; o++) {
              next[r][o] += h[r][i] * kernel[i][o];
            }
          }
        }
      }
      h = next;
    }
    return h;
  }

  private static float[][] fetch(Session session, String variable) {
    try (Result result = session.runner().fetch(variable).run()) {
      return StdArrays.array2dCopyOf((TFloat32) result.get(0));
    }
  }

  private static String outputName(SavedModelBundle bundle) {
    return bundle.metaGraphDef().getSignatureDefMap().get("serving_default").getOutputsMap().get("y").getName();
  }
}
