package dev.finetune.vblora.training.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.ops.testing.SharedFolder;
import dev.finetune.vblora.training.testing.CliRun;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** vblora inspect on real TF2 SavedModels made by others: Keras models and a bert-for-tf2 ALBERT. */
class InspectCommandTest {
  private static final String MHA1 = "transformer_encoder_27/multi_head_attention_27/";
  private static final String SHARED_QUERY = "albert/encoder/layer_shared/attention/self/query/kernel";

  private static String fixture(String name) {
    return SharedFolder.resolve("fixtures/tf2/" + name).toString();
  }

  /** The numbers above 1 dividing both sizes, worked out here by trial division. */
  private static String divisors(long in, long out) {
    return LongStream.rangeClosed(2, Math.min(in, out)).filter(d -> in % d == 0 && out % d == 0)
        .mapToObj(String::valueOf).collect(Collectors.joining(", "));
  }

  @Test
  void listsTheKernelsInsideFunctionsAndPlansASelection() {
    CliRun run = CliRun.of("inspect", "--model", fixture("keras_mha1_encoder"), "--targets", ".*query.*",
        "--vector-length", "2", "--num-vectors", "4", "--json");
    assertEquals(0, run.status(), run.toString());
    assertTrue(run.out().contains(MHA1 + "query/kernel"), run.out());
    assertTrue(run.out().contains("\"equation\""), "Einsum kernels report their equation: " + run.out());
    List<?> misfits = ((List<?>) ((Map<?, ?>) Json.parse(run.out())).get("kernels")).stream()
        .map(k -> (Map<?, ?>) k).filter(k -> k.containsKey("misfit")).map(k -> k.get("name")).toList();
    assertEquals(List.of("dense_83/kernel"), misfits, "vector length 2 divides every size but the [6, 1] head's");
  }

  /** A dry run lists every kernel and marks the misfits, with the default vector length, on every fixture. */
  @ParameterizedTest
  @ValueSource(strings = {"keras_dense_mlp", "keras_mha1_encoder", "keras_mha3_timeseries", "albert_tiny_zh"})
  void sizesThatDoNotDivideTheVectorLengthAreMarkedNotAnError(String name) {
    CliRun run = CliRun.of("inspect", "--model", fixture(name), "--targets", "all-linear");
    assertEquals(0, run.status(), run.toString());
    assertTrue(run.out().contains("Signature serving_default"), run.out());
    assertFalse(run.out().contains("__saved_model_init_op"), "TF2's initializer is no signature to call: "
        + run.out());
    assertTrue(run.out().contains("! = the adapter cannot take it"), run.out());
    assertTrue(run.out().contains("do not divide vector_length 256"), run.out());
    assertTrue(run.out().contains("do not fit, and train would refuse them"), run.out());
  }

  @Test
  void theMarkSaysTheSizesAndTheVectorLengthsThatFit() {
    CliRun run = CliRun.of("inspect", "--model", fixture("keras_mha1_encoder"));
    assertEquals(0, run.status(), run.toString());
    String query = run.out().lines().filter(l -> l.contains(MHA1 + "query/kernel")).findFirst().orElseThrow();
    assertTrue(query.startsWith("  * "), "bert-qv selects it: " + query);
    assertTrue(query.endsWith("! sizes 6x64 do not divide vector_length 256; vector lengths that do: "
        + divisors(6, 64)), query);
    String head = run.out().lines().filter(l -> l.contains("dense_83/kernel")).findFirst().orElseThrow();
    assertTrue(head.contains("! sizes 6x1 do not divide vector_length 256; no vector length above 1 does"), head);
  }

  @Test
  void theJsonCarriesTheSameMarkAndTheSharedKernelsUses() {
    CliRun run = CliRun.of("inspect", "--model", fixture("albert_tiny_zh"), "--json");
    assertEquals(0, run.status(), run.toString());
    Map<?, ?> json = (Map<?, ?>) Json.parse(run.out());
    Map<?, ?> query = ((List<?>) json.get("kernels")).stream().map(k -> (Map<?, ?>) k)
        .filter(k -> k.get("name").equals(SHARED_QUERY)).findFirst().orElseThrow();
    assertEquals("sizes 312x312 do not divide vector_length 256; vector lengths that do: " + divisors(312, 312),
        query.get("misfit"));
    assertEquals(4L, query.get("uses"), "one kernel, applied at each of the 4 depths");
    assertEquals("query", query.get("role"));
    assertTrue(!query.containsKey("layer"), "a shared layer has no index");
    assertEquals(2, ((List<?>) json.get("selected")).size());
    assertEquals(Map.of("trainable", 0L, "stored", 0L), json.get("params"), "nothing selected fits");
  }

  @Test
  void withAFittingVectorLengthTheSharedKernelsArePlannedOnce() {
    CliRun run = CliRun.of("inspect", "--model", fixture("albert_tiny_zh"), "--vector-length", "12",
        "--num-vectors", "16", "--rank", "4", "--save-only-topk-weights", "false", "--json");
    assertEquals(0, run.status(), run.toString());
    Map<?, ?> json = (Map<?, ?>) Json.parse(run.out());
    // Bank 16 x 12, and per shared 312x312 kernel (once, though applied 4 times) r * (312/12) * h logits for A
    // and as many for B.
    long logits = 4L * (312 / 12) * 16;
    assertEquals(16L * 12 + 2 * (2 * logits), ((Map<?, ?>) json.get("params")).get("trainable"));
    List<?> misfits = ((List<?>) json.get("kernels")).stream().map(k -> (Map<?, ?>) k)
        .filter(k -> k.containsKey("misfit")).map(k -> k.get("name")).toList();
    // 128x312 (gcd 8) and the 312x2 head do not take 12; the six 312/1248-sized layer kernels do.
    assertEquals(List.of("albert/embeddings/word_embeddings_projector/projector", "pred/kernel"), misfits);
  }

  /** Inspect is how a user discovers a model: the default preset not fitting it is said, not an error. */
  @Test
  void theDefaultPresetMatchingNothingStillReportsTheModelAndSaysWhy() {
    CliRun run = CliRun.of("inspect", "--model", fixture("keras_dense_mlp"));
    assertEquals(0, run.status(), run.toString());
    assertTrue(run.out().contains("Signature serving_default"), run.out());
    assertTrue(run.out().contains("Kernels on the path of serving_default: 4"), run.out());
    assertTrue(run.out().contains("Selected none: the default --targets bert-qv selects no kernel of this model"
        + " (preset bert-qv found none of its attention query and value kernels"), run.out());
    assertTrue(run.out().contains("choose them with --targets (all-linear, names or a regex)"), run.out());

    CliRun json = CliRun.of("inspect", "--model", fixture("keras_dense_mlp"), "--json");
    assertEquals(0, json.status(), json.toString());
    Map<String, Object> doc = Json.parseObject(json.out());
    assertEquals(List.of(), doc.get("selected"));
    assertEquals(4, ((List<?>) doc.get("kernels")).size());
    assertTrue(((String) doc.get("unselected")).contains("selects no kernel"), json.out());
  }

  /** A selection the user chose that matches nothing fails, the kernels listed to choose from. */
  @Test
  void aPresetAskedForMatchingNothingFailsListingTheKernels() {
    CliRun run = CliRun.of("inspect", "--model", fixture("keras_dense_mlp"), "--targets", "bert-qv");
    assertEquals(1, run.status(), run.toString());
    assertTrue(run.err().contains("adaptable kernels of signature serving_default (4)"), run.err());
    assertTrue(run.err().contains("preset bert-qv found none of its attention query and value kernels among the "
        + "model's 4 kernels: dense/kernel, dense_1/kernel, dense_2/kernel, dense_3/kernel"), run.err());
  }

  /** Inspect lists the kernels itself, so its error does not send the user to inspect. */
  @Test
  void aPatternMatchingNothingListsTheKernelsAndDoesNotPointBackToInspect() {
    CliRun run = CliRun.of("inspect", "--model", fixture("keras_dense_mlp"), "--targets", "nothing.*");
    assertEquals(1, run.status(), run.toString());
    assertTrue(run.err().contains("adaptable kernels of signature serving_default (4)"), run.err());
    assertTrue(run.err().contains("--targets nothing.* selected no kernel among 4 kernels; candidates: dense"),
        run.err());
    assertFalse(run.err().contains("list them all"), "inspect just listed them: " + run.err());
  }

  /** A setting that is wrong in itself is refused as that, not answered with the kernel list. */
  @ParameterizedTest
  @ValueSource(strings = {"--layers=0-x", "--vector-length=0", "--targets=all-linear --layers=5-2"})
  void aSettingWrongInItselfIsRefusedWithoutTheKernelList(String settings) {
    List<String> argv = new java.util.ArrayList<>(List.of("inspect", "--model", fixture("keras_mha1_encoder")));
    argv.addAll(List.of(settings.split(" ")));
    CliRun run = CliRun.of(argv.toArray(String[]::new));
    assertEquals(1, run.status(), run.toString());
    String option = settings.substring(settings.lastIndexOf(' ') + 1, settings.indexOf('=', settings.lastIndexOf(' ')
        + 1));
    assertTrue(run.err().contains(option), "the message names " + option + ": " + run.err());
    assertFalse(run.err().contains("adaptable kernels"), run.err());
  }
}
