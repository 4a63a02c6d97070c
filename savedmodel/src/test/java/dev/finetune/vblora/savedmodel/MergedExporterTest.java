package dev.finetune.vblora.savedmodel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.ops.testing.SharedFolder;
import dev.finetune.vblora.savedmodel.adapter.NonFiniteValueException;
import dev.finetune.vblora.savedmodel.export.HeadWeights;
import dev.finetune.vblora.savedmodel.export.MergedExporter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * The merged export on the real BERT-base: kernels become exactly W + delta (read back with TensorFlow's own
 * RestoreV2), nothing else in the checkpoint changes, the weights-only shape keeps saved_model.pb byte for
 * byte, and the head shape serves logits and probabilities that match plain-Java math.
 */
class MergedExporterTest {
  private static final String QUERY = "module/bert/encoder/layer_0/attention/self/query/kernel";
  private static final String KEY = "module/bert/encoder/layer_0/attention/self/key/kernel";
  private static Path bert;
  private static float[][] delta;

  @BeforeAll
  static void model() {
    bert = TestModels.bert();
    delta = new float[768][768];
    Random random = new Random(7);
    for (float[] row : delta) {
      for (int j = 0; j < row.length; j++) {
        row[j] = (float) (random.nextGaussian() * 0.05);
      }
    }
  }

  @Test
  void weightsOnlyExportChangesOnlyTheMergedKernels(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("merged");
    new MergedExporter(bert, "serve").export(Map.of(QUERY, delta), Optional.empty(), out);

    assertArrayEquals(Files.readAllBytes(bert.resolve("saved_model.pb")),
        Files.readAllBytes(out.resolve("saved_model.pb")), "saved_model.pb must be copied byte for byte");
    assertArrayEquals(Files.readAllBytes(bert.resolve("assets/vocab.txt")),
        Files.readAllBytes(out.resolve("assets/vocab.txt")));
    assertEquals(names(bert), names(out), "the merged checkpoint holds exactly the base variables");

    float[][] w = restore(bert, QUERY, 768, 768);
    float[][] merged = restore(out, QUERY, 768, 768);
    for (int i = 0; i < 768; i++) {
      for (int j = 0; j < 768; j++) {
        assertEquals(w[i][j] + delta[i][j], merged[i][j], 0f, "W + delta at [" + i + "][" + j + "]");
      }
    }
    assertTrue(java.util.Arrays.deepEquals(restore(bert, KEY, 768, 768), restore(out, KEY, 768, 768)),
        "an unmerged kernel is untouched");
    // The checkpoint is the base's, copied with the kernel patched in place: no other byte differs.
    byte[] base = Files.readAllBytes(bert.resolve("variables/variables.data-00000-of-00001"));
    byte[] patched = Files.readAllBytes(out.resolve("variables/variables.data-00000-of-00001"));
    assertEquals(base.length, patched.length);
    int differing = 0;
    for (int i = 0; i < base.length; i++) {
      differing += base[i] != patched[i] ? 1 : 0;
    }
    assertTrue(differing > 0 && differing <= 768 * 768 * 4, differing + " bytes differ");
  }

  @Test
  void headExportServesLogitsAndProbabilitiesNextToTheModelsOwnOutputs(@TempDir Path dir) throws Exception {
    float[][] kernel = new float[768][2];
    Random random = new Random(3);
    for (float[] row : kernel) {
      row[0] = (float) random.nextGaussian() * 0.1f;
      row[1] = (float) random.nextGaussian() * 0.1f;
    }
    float[] bias = {0.25f, -0.5f};
    Path out = dir.resolve("merged");
    new MergedExporter(bert, "serve").export(Map.of(QUERY, delta),
        Optional.of(new HeadWeights("pooled_output", kernel, bias, true, List.of("negative", "positive"))), out);

    BertInputs inputs = new BertInputs(bert);
    try (SavedModelBundle bundle = SavedModelBundle.load(out.toString(), "serve")) {
      SignatureDef signature = bundle.metaGraphDef().getSignatureDefMap().get("serving_default");
      assertEquals("tensorflow/serving/predict", signature.getMethodName());
      assertEquals(List.of("input_ids", "input_mask", "segment_ids"),
          signature.getInputsMap().keySet().stream().sorted().collect(Collectors.toList()));
      assertTrue(signature.getOutputsMap().keySet().containsAll(
          List.of("logits", "probabilities", "pooled_output", "sequence_output")), signature.toString());

      try (TInt32 ids = TInt32.tensorOf(StdArrays.ndCopyOf(inputs.inputIds));
           TInt32 mask = TInt32.tensorOf(StdArrays.ndCopyOf(inputs.inputMask));
           TInt32 segments = TInt32.tensorOf(StdArrays.ndCopyOf(inputs.segmentIds));
           Result result = bundle.session().runner()
               .feed(signature.getInputsMap().get("input_ids").getName(), ids)
               .feed(signature.getInputsMap().get("input_mask").getName(), mask)
               .feed(signature.getInputsMap().get("segment_ids").getName(), segments)
               .fetch(signature.getOutputsMap().get("pooled_output").getName())
               .fetch(signature.getOutputsMap().get("probabilities").getName())
               .run()) {
        float[][] pooled = StdArrays.array2dCopyOf((TFloat32) result.get(0));
        float[][] probabilities = StdArrays.array2dCopyOf((TFloat32) result.get(1));
        for (int s = 0; s < pooled.length; s++) {
          double[] logits = new double[2];
          for (int c = 0; c < 2; c++) {
            logits[c] = bias[c];
            for (int h = 0; h < 768; h++) {
              logits[c] += pooled[s][h] * kernel[h][c];
            }
          }
          double max = Math.max(logits[0], logits[1]);
          double z = Math.exp(logits[0] - max) + Math.exp(logits[1] - max);
          assertEquals(Math.exp(logits[0] - max) / z, probabilities[s][0], 1e-5);
          assertEquals(Math.exp(logits[1] - max) / z, probabilities[s][1], 1e-5);
        }
      }
    }
  }

  @Test
  void aDeltaForAVariableTheModelLacksIsRefusedByName(@TempDir Path dir) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new MergedExporter(bert, "serve").export(Map.of("module/nope/kernel", delta), Optional.empty(),
            dir.resolve("merged")));
    assertTrue(e.getMessage().contains("module/nope/kernel"), e.getMessage());
  }

  /**
   * PEFT's safe_merge ("NaNs detected in the merged weights"): a merged kernel that is not finite is refused by
   * name, and no variables are saved.
   */
  @Test
  void aMergedKernelHoldingNanIsRefusedByNameAndNothingIsSaved(@TempDir Path dir) {
    float[][] broken = new float[768][];
    for (int i = 0; i < broken.length; i++) {
      broken[i] = delta[i].clone();
    }
    broken[3][4] = Float.NaN;
    Path out = dir.resolve("merged");
    NonFiniteValueException e = assertThrows(NonFiniteValueException.class,
        () -> new MergedExporter(bert, "serve").export(Map.of(KEY, delta, QUERY, broken), Optional.empty(), out));
    assertTrue(e.getMessage().contains("the merged kernel " + QUERY + " "), e.getMessage());
    assertTrue(e.getMessage().contains("NaN"), e.getMessage());
    assertTrue(!Files.exists(out.resolve("variables/variables.index")), "no variables saved");
  }

  /**
   * The docs promise "every other file is the model's own, byte for byte": Keras' keras_metadata.pb (which
   * tf.keras.models.load_model reads), a model's own folders (ALBERT's assets-extra/ with its vocab) and notes are
   * copied by both shapes of the merge, weights-only and with a head (a new saved_model.pb). fingerprint.pb is not:
   * its hashes describe the base model's variables, which the merge replaces.
   */
  @Test
  void aMergeCopiesEveryFileOfTheModelButWhatItRewritesAndItsFingerprint(@TempDir Path dir) throws Exception {
    Path encoder = SharedFolder.resolve("fixtures/tf2/keras_mha1_encoder");
    float[][] small = new float[6][32];
    small[1][2] = 0.5f;
    Path weightsOnly = dir.resolve("weights-only");
    new MergedExporter(encoder, "serve").export(Map.of("dense_81/kernel", small), Optional.empty(), weightsOnly);
    Path withHead = dir.resolve("with-head");
    new MergedExporter(encoder, "serve").export(Map.of("dense_81/kernel", small),
        Optional.of(new HeadWeights("dense_83", new float[][] {{1f, -1f}}, new float[] {0f, 0f}, true,
            List.of("a", "b"))), withHead);
    for (Path merged : List.of(weightsOnly, withHead)) {
      assertEquals(filesBut(encoder, "saved_model.pb", "variables/variables.index",
          "variables/variables.data-00000-of-00001", "fingerprint.pb"),
          filesBut(merged, "saved_model.pb", "variables/variables.index", "variables/variables.data-00000-of-00001"),
          merged + ": every other file of the model, byte for byte, and no fingerprint.pb");
    }

    Path albert = SharedFolder.resolve("fixtures/tf2/albert_tiny_zh");
    Path mergedAlbert = dir.resolve("albert");
    new MergedExporter(albert, "serve").export(Map.of("albert/encoder/layer_shared/attention/self/query/kernel",
        new float[312][312]), Optional.empty(), mergedAlbert);
    Map<String, String> copied = filesBut(mergedAlbert, "saved_model.pb", "variables/variables.index",
        "variables/variables.data-00000-of-00001");
    assertTrue(copied.containsKey("assets-extra/vocab.txt"), copied.keySet().toString());
    assertEquals(filesBut(albert, "saved_model.pb", "variables/variables.index",
        "variables/variables.data-00000-of-00001"), copied);
  }

  /** Every file under {@code model} but {@code except} (relative paths), with a SHA-256 of its bytes. */
  private static Map<String, String> filesBut(Path model, String... except) throws Exception {
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(model)) {
      for (Path file : walk.filter(Files::isRegularFile).toList()) {
        String name = model.relativize(file).toString();
        if (!List.of(except).contains(name)) {
          files.put(name, HexFormat.of().formatHex(
              MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file))));
        }
      }
    }
    return files;
  }

  private static List<String> names(Path model) {
    return TensorBundleIndex.read(model.resolve("variables/variables")).tensors().stream()
        .map(VariableInfo::name).sorted().collect(Collectors.toList());
  }

  /** Reads one float matrix from a checkpoint with TensorFlow's own RestoreV2, independent of our code. */
  private static float[][] restore(Path model, String name, int rows, int cols) {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      var restored = tf.train.restore(tf.constant(model.resolve("variables/variables").toString()),
          tf.constant(NdArrays.vectorOfObjects(name)), tf.constant(NdArrays.vectorOfObjects("")), List.of(TFloat32.class));
      try (Result r = s.runner().fetch(restored.tensors().get(0)).run()) {
        Tensor t = r.get(0);
        float[][] out = StdArrays.array2dCopyOf((TFloat32) t);
        assertEquals(rows, out.length);
        assertEquals(cols, out[0].length);
        return out;
      }
    }
  }
}
