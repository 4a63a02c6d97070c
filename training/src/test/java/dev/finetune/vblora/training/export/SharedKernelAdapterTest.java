package dev.finetune.vblora.training.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.model.AdaptedGraph;
import dev.finetune.vblora.model.AdapterVariable;
import dev.finetune.vblora.model.GraphForms;
import dev.finetune.vblora.model.GraphRewriter;
import dev.finetune.vblora.model.Kernel;
import dev.finetune.vblora.model.KernelDiscovery;
import dev.finetune.vblora.model.MomentsForm;
import dev.finetune.vblora.model.SoftmaxForm;
import dev.finetune.vblora.model.TailForm;
import dev.finetune.vblora.model.TargetPattern;
import dev.finetune.vblora.model.TargetSelection;
import dev.finetune.vblora.model.TargetSelector;
import dev.finetune.vblora.model.UpdateForm;
import dev.finetune.vblora.model.VbLoraConfig;
import dev.finetune.vblora.model.VbLoraPlan;
import dev.finetune.vblora.model.VectorLengthMismatchException;
import dev.finetune.vblora.ops.testing.SharedFolder;
import dev.finetune.vblora.savedmodel.SavedModelInfo;
import dev.finetune.vblora.savedmodel.SavedModelReader;
import dev.finetune.vblora.savedmodel.adapter.AdapterFolder;
import dev.finetune.vblora.savedmodel.adapter.FullLogits;
import dev.finetune.vblora.savedmodel.adapter.PeftAdapter;
import dev.finetune.vblora.savedmodel.adapter.PeftVbLoraConfig;
import dev.finetune.vblora.savedmodel.adapter.VbLoraAdapter;
import dev.finetune.vblora.savedmodel.adapter.VbLoraModule;
import dev.finetune.vblora.savedmodel.export.AdapterDeltas;
import dev.finetune.vblora.savedmodel.export.MergedModel;
import dev.finetune.vblora.training.RunPlanner;
import dev.finetune.vblora.training.TrainConfig;
import dev.finetune.vblora.training.head.TaskHead;
import dev.finetune.vblora.training.variables.HostTensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.SaverDef;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TString;

/**
 * ALBERT uses one layer's weights at every depth: albert_tiny_zh's four layers all read
 * albert/encoder/layer_shared/..., each kernel through four MatMuls. Such a kernel gets one adapter (one entry in
 * the plan and in the adapter file), whose delta applies at every use: the adapted graph computes what the base
 * model computes once its variable holds W + delta, the delta worked out in plain Java from the adapter file. Sizes
 * the adapter cannot take are refused by train and by merge.
 */
class SharedKernelAdapterTest {
  private static final String SIGNATURE = "serving_default";
  private static final String SHARED = "albert/encoder/layer_shared/attention/self/";
  private static final String QUERY = SHARED + "query/kernel";
  private static final String VALUE = SHARED + "value/kernel";
  /** 12 divides ALBERT-tiny's hidden size 312; a random bank and logits make the adapter matter. */
  private static final VbLoraConfig CONFIG = VbLoraConfig.builder().numVectors(16).vectorLength(12).rank(4).topk(2)
      .saveOnlyTopkWeights(false).initVectorBankBound(0.5).initLogitsStd(1).seed(5).build();
  private static final int BATCH = 2;
  private static final int LENGTH = 128;

  private static SavedModelInfo albert;
  private static List<Kernel> kernels;
  private static Map<String, int[]> inputs;

  @BeforeAll
  static void load() {
    albert = SavedModelReader.read(SharedFolder.resolve("fixtures/tf2/albert_tiny_zh"));
    kernels = KernelDiscovery.discover(albert.metaGraph(), SIGNATURE);
    Random random = new Random(3);
    int[] ids = new int[BATCH * LENGTH];
    int[] mask = new int[BATCH * LENGTH];
    for (int i = 0; i < ids.length; i++) {
      boolean real = i < LENGTH || i % LENGTH < 20; // row 0 full, row 1 twenty tokens then padding
      ids[i] = real ? 1 + random.nextInt(21_000) : 0;
      mask[i] = real ? 1 : 0;
    }
    inputs = Map.of("serving_default_input_word_ids:0", ids, "serving_default_input_mask:0", mask,
        "serving_default_input_type_ids:0", new int[BATCH * LENGTH]);
  }

  private static List<Kernel> queryAndValue() {
    return TargetSelector.select(kernels, TargetSelection.of(TargetPattern.preset("bert-qv")));
  }

  @Test
  void aSharedKernelIsOneKernelWithOneUsePerDepth() {
    List<Kernel> qv = queryAndValue();
    assertEquals(List.of(QUERY, VALUE), qv.stream().map(Kernel::name).toList());
    qv.forEach(k -> assertEquals(4, k.uses().size(), k.name() + " is applied at each of the 4 depths"));
    VbLoraPlan plan = VbLoraPlan.of(qv, CONFIG);
    assertEquals(List.of(QUERY, VALUE), plan.kernels().stream().map(Kernel::name).toList(), "one plan entry each");
  }

  @Test
  void itsAdapterAppliesAtEveryUseAsTheMergedKernelWould(@TempDir Path dir) throws Exception {
    List<Kernel> qv = queryAndValue();
    float[] adapted;
    Map<String, HostTensor> values = new LinkedHashMap<>();
    AdapterManifest manifest;
    try (AdaptedGraph graph = GraphRewriter.rewrite(albert.metaGraph(), SIGNATURE, VbLoraPlan.of(qv, CONFIG),
        albert.variablesPrefix());
        Session session = graph.newSession()) {
      graph.initialize(session);
      for (String kernel : List.of(QUERY, VALUE)) {
        assertEquals(4, graph.target(kernel).adaptedOutputs().size(), kernel + ": all four MatMuls are spliced");
      }
      adapted = run(session, graph.outputs().get("pred"));
      for (AdapterVariable v : graph.trainableVariables()) {
        try (Result result = session.runner().fetch(v.value()).run()) {
          values.put(v.name(), HostTensor.copyOf(result.get(0)));
        }
      }
      manifest = new AdapterManifest(config(), List.of("negative", "positive"), graph.trainableVariables(),
          graph.logitsLayout());
    }
    // The task head only because an export carries one; this test merges the kernels alone.
    values.put(TaskHead.SCOPE + "/kernel", HostTensor.ofFloats(new long[] {312, 2}, new float[312 * 2]));
    values.put(TaskHead.SCOPE + "/bias", HostTensor.ofFloats(new long[] {2}, 0, 0));
    Path adapterDir = dir.resolve("adapter");
    AdapterFolder.write(AdapterExport.toPeft(manifest, values), adapterDir, true);
    PeftAdapter file = AdapterFolder.read(adapterDir);
    assertEquals(List.of("albert.encoder.layer_shared.attention.self.query",
        "albert.encoder.layer_shared.attention.self.value"), file.modulePaths(), "one module per shared kernel");

    // Read back without the head, as PEFT would apply it: the deltas in plain Java, keyed by the model's variables.
    VbLoraAdapter kernelsOnly = assertInstanceOf(VbLoraAdapter.class, file);
    AdapterDeltas deltas = AdapterDeltas.of(VbLoraAdapter.of(kernelsOnly.config(), kernelsOnly.vectorBank(),
        kernelsOnly.modules()), albert, SIGNATURE);
    assertEquals(List.of(QUERY, VALUE), List.copyOf(deltas.deltas().keySet()));
    // An adapter from elsewhere has no metadata naming the variables: its module paths alone find the same kernels.
    AdapterDeltas fromElsewhere = AdapterDeltas.of(VbLoraAdapter.of(kernelsOnly.config().toBuilder().toolMetadata(null)
        .build(), kernelsOnly.vectorBank(), kernelsOnly.modules()), albert, SIGNATURE);
    assertEquals(List.of(QUERY, VALUE), List.copyOf(fromElsewhere.deltas().keySet()));
    for (String kernel : List.of(QUERY, VALUE)) {
      assertArrayEquals(deltas.deltas().get(kernel), fromElsewhere.deltas().get(kernel), kernel);
    }

    float[][] base = baseBeforeAndAfterAdding(deltas.deltas());
    float[] untouched = base[0];
    float[] merged = base[1];
    // The adapter moves pred far more than the tolerance, so a depth left unadapted could not hide in it.
    assertTrue(maxDifference(untouched, adapted) > 100 * 1e-5, "the adapter must change pred: "
        + Arrays.toString(untouched) + " vs " + Arrays.toString(adapted));
    assertArrayEquals(merged, adapted, 1e-5f, "x (W + dW) at all four depths, as the adapted graph computes it");

    // vblora merge writes that very model: the same float32 sums in the checkpoint, the graph untouched.
    Path mergedDir = dir.resolve("merged");
    MergedModel.write(albert.path(), "serve", deltas, null, mergedDir, false, warning -> {});
    try (SavedModelBundle bundle = SavedModelBundle.load(mergedDir.toString(), "serve")) {
      assertArrayEquals(merged, run(bundle.session(), albert.signature(SIGNATURE).outputs().get("pred").tensorName()),
          0f);
    }
  }

  /**
   * The merged-factored form on a TF2 graph whose shared kernels are applied by MatMuls inlined from functions: one
   * marker per use (2 kernels x 4 depths), and each adapter variable's gradient, summed over the four depths, is the
   * merged form's.
   */
  @Test
  void theFactoredGradientsOfASharedKernelAreTheMergedFormsSummedOverItsDepths() {
    VbLoraPlan plan = VbLoraPlan.of(queryAndValue(), CONFIG);
    Map<String, float[]> merged = adapterGradients(plan, UpdateForm.MERGED, 0);
    Map<String, float[]> factored = adapterGradients(plan, UpdateForm.MERGED_FACTORED, 8);
    assertCloseRelative(merged, factored, 1e-4);
  }

  /** Each named array of {@code actual} equals {@code expected}'s to {@code tolerance} of its largest magnitude. */
  private static void assertCloseRelative(Map<String, float[]> expected, Map<String, float[]> actual,
      double tolerance) {
    assertEquals(expected.keySet(), actual.keySet());
    for (String name : expected.keySet()) {
      float[] want = expected.get(name);
      double scale = 0;
      for (float v : want) {
        scale = Math.max(scale, Math.abs(v));
      }
      assertTrue(scale > 0, name + " is all zero, so the comparison would prove nothing");
      assertTrue(maxDifference(want, actual.get(name)) <= tolerance * scale, name + ": "
          + maxDifference(want, actual.get(name)) + " against max |value| " + scale);
    }
  }

  /** d mean(pred^2) / d each adapter variable, with {@code markers} factored-gradient markers in the graph. */
  private static Map<String, float[]> adapterGradients(VbLoraPlan plan, UpdateForm form, int markers) {
    try (AdaptedGraph graph = GraphRewriter.rewrite(albert.metaGraph(), SIGNATURE, plan, albert.variablesPrefix(),
        form)) {
      int found = 0;
      for (Iterator<GraphOperation> it = graph.graph().operations(); it.hasNext(); ) {
        GraphOperation op = it.next();
        found += op.type().equals("IdentityN") && op.name().endsWith("/vblora_factored_gradient") ? 1 : 0;
      }
      assertEquals(markers, found, form.label() + " markers");
      Map<String, float[]> values = predAndGradients(graph);
      values.remove("pred");
      return values;
    }
  }

  /** pred, and d mean(pred^2) / d each adapter variable by its name. */
  /** VB-LoRA on all six kernels of ALBERT's shared layer. */
  private static VbLoraPlan sharedLayerPlan() {
    return VbLoraPlan.of(kernels.stream().filter(k -> k.name().contains("/layer_shared/")).toList(), CONFIG);
  }

  /** pred and the adapter gradients of {@code plan} written in {@code forms}, after {@code inspect} saw the graph. */
  private static Map<String, float[]> predAndGradients(VbLoraPlan plan, GraphForms forms,
      Consumer<AdaptedGraph> inspect) {
    try (AdaptedGraph graph = GraphRewriter.rewrite(albert.metaGraph(), SIGNATURE, plan, albert.variablesPrefix(),
        forms)) {
      inspect.accept(graph);
      return predAndGradients(graph);
    }
  }

  private static Map<String, float[]> predAndGradients(AdaptedGraph graph) {
    Ops tf = Ops.create(graph.graph()).withSubScope("test_gradients");
    Operand<TFloat32> pred = graph.graph().outputOrThrow(graph.outputs().get("pred")).expect(TFloat32.class);
    Operand<TFloat32> loss = tf.math.mean(tf.math.square(pred), tf.constant(new int[] {0, 1}));
    List<AdapterVariable> trainable = graph.trainableVariables();
    Output<?>[] gradients = graph.graph().addGradients(loss.asOutput(), trainable.stream()
        .map(v -> graph.graph().outputOrThrow(v.value())).toArray(Output<?>[]::new));
    Map<String, float[]> values = new LinkedHashMap<>();
    try (Session session = graph.newSession()) {
      graph.initialize(session);
      values.put("pred", run(session, graph.outputs().get("pred")));
      for (int i = 0; i < trainable.size(); i++) {
        values.put(trainable.get(i).name(), run(session, gradients[i].op().name() + ":" + gradients[i].index()));
      }
    }
    return values;
  }

  /**
   * ALBERT's Dense layers are Keras 2's Tensordot (flatten to rows, multiply, reshape back) and its classifier reads
   * the first position: under the one-position tail the last depth's attention output, intermediate and output
   * Denses run at that position only, adapters included, and pred and every adapter gradient stay as they were,
   * in each update form.
   */
  @ParameterizedTest
  @EnumSource(UpdateForm.class)
  void theLastDepthsDensesRunAtThePooledPositionWithTheSameResults(UpdateForm form) {
    VbLoraPlan plan = sharedLayerPlan();
    assertEquals(6, plan.kernels().size(), "q, k, v, attention output, intermediate, output");
    GraphForms asExported = GraphForms.defaults().withUpdate(form);
    Map<String, float[]> expected = predAndGradients(plan, asExported, graph -> { });
    Map<String, float[]> actual = predAndGradients(plan, asExported.withTail(TailForm.ONE_POSITION), graph -> {
      List<String> copies = new ArrayList<>();
      for (Iterator<GraphOperation> it = graph.graph().operations(); it.hasNext(); ) {
        GraphOperation op = it.next();
        if (op.type().equals("MatMul") && op.name().contains("/at_position_0")) {
          copies.add(op.name());
        }
      }
      for (String dense : List.of("attention/output/dense", "intermediate", "output/dense")) {
        assertTrue(copies.stream().anyMatch(n -> n.contains("/layer_shared/" + dense + "/")), dense + " in " + copies);
      }
    });
    assertCloseRelative(expected, actual, 1e-5);
  }

  /**
   * Under XLA the training graph computes every float32 softmax of its data path from the log-sum-exp: the attention
   * softmax of each of ALBERT's four depths takes that form (the adapter's top-k admixture, which reads variables
   * only, keeps TensorFlow's), and pred and every adapter gradient stay as they were.
   */
  @Test
  void theLogSumExpSoftmaxGivesTheModelsOwnResults() {
    VbLoraPlan plan = sharedLayerPlan();
    GraphForms asExported = GraphForms.defaults();
    Map<String, float[]> expected = predAndGradients(plan, asExported, graph -> { });
    Map<String, float[]> actual = predAndGradients(plan, asExported.withSoftmax(SoftmaxForm.LOG_SUM_EXP), graph -> {
      List<String> softmaxes = new ArrayList<>();
      int logSumExps = 0;
      for (Iterator<GraphOperation> it = graph.graph().operations(); it.hasNext(); ) {
        GraphOperation op = it.next();
        if (op.type().equals("Softmax")) {
          softmaxes.add(op.name());
        }
        logSumExps += op.type().equals("IdentityN") && op.name().endsWith("/vblora_softmax_lse") ? 1 : 0;
      }
      assertEquals(List.of("vblora/composition/fused_composition/topk_admixture/Softmax"), softmaxes);
      assertEquals(4, logSumExps, "one per depth's attention");
    });
    // Rounding alone moves the vector bank's gradient here by up to 6e-5 of its largest value: the same softmax
    // written as TensorFlow's exp(d) / sum through the same marker differed by that much (2026-12-05), the
    // log-sum-exp form by 1.8e-5. An error in the form (a wrong gradient, a dropped mask) moves it by far more.
    assertCloseRelative(expected, actual, 1e-4);
  }

  /**
   * In the one-pass moments forms every LayerNorm variance of ALBERT's data path (the embeddings', and two per depth
   * at each of the four depths) reduces x alongside its mean, and pred and every adapter gradient stay as they were.
   */
  @Test
  void theOnePassMomentsGiveTheModelsOwnResults() {
    VbLoraPlan plan = sharedLayerPlan();
    GraphForms asExported = GraphForms.defaults();
    Map<String, float[]> expected = predAndGradients(plan, asExported, graph -> { });
    for (MomentsForm form : List.of(MomentsForm.ONE_PASS, MomentsForm.ONE_PASS_EXPORTED_GRADIENT)) {
      Map<String, float[]> actual = predAndGradients(plan, asExported.withMoments(form), graph -> {
        int onePass = 0;
        for (Iterator<GraphOperation> it = graph.graph().operations(); it.hasNext(); ) {
          onePass += graph.graph().operation(it.next().name() + "/vblora_one_pass/float64") != null ? 1 : 0;
        }
        assertEquals(9, onePass, form + ": the embeddings' LayerNorm and two a depth, at four depths");
      });
      // This fixture's synthetic weights amplify rounding: TensorFlow's own variances multiplied by 1 + 1.2e-7 (one
      // float32 rounding step) moved pred by 5e-6 and the vector bank's gradient by 1.3e-4 of its largest value
      // (2026-12-05), and the one-pass variances, which round differently by about that much, move them by 2.6e-5
      // and 1.9e-4 in either form (the exported gradient form's backward pass is the model's, so what moves them is
      // the variances' rounding). The same form with the two-pass mean as its centre, whose values round as TensorFlow's, gave
      // pred bit for bit and the gradients to 2.3e-6, so the graph and its gradient path are right; an error in the
      // formula (the mean's square left out, a wrong gradient) moves them by orders of magnitude more.
      assertCloseRelative(expected, actual, 3e-4);
    }
  }

  @Test
  void trainRefusesASharedKernelTheVectorLengthDoesNotDivide() {
    TrainConfig config = config().toBuilder().vbLora(CONFIG.toBuilder().vectorLength(256).build()).build();
    VectorLengthMismatchException e = assertThrows(VectorLengthMismatchException.class,
        () -> RunPlanner.plan(config, albert));
    assertTrue(e.getMessage().contains("in_features 312 of kernel " + QUERY + " is not divisible by vector_length "
        + "256; choose a vector_length that divides every target's sizes (2, 3, 4, 6, 8, 12, 13, 24, 26, 39, 52, 78,"
        + " 104, 156, 312)"), e.getMessage());
  }

  /** An adapter made for other sizes (vector length 256, so 256x256) is refused by merge, naming both sizes. */
  @Test
  void mergeRefusesAnAdapterOfOtherSizes(@TempDir Path dir) throws Exception {
    String module = "albert.encoder.layer_shared.attention.self.query";
    PeftVbLoraConfig config = PeftVbLoraConfig.builder().r(1).numVectors(4).vectorLength(256).topk(2)
        .targetModules(List.of("query")).build();
    VbLoraModule query = new VbLoraModule(module, new FullLogits(1, 1, 4, new float[4]),
        new FullLogits(1, 1, 4, new float[4]));
    AdapterFolder.write(VbLoraAdapter.of(config, new float[4][256], List.of(query)), dir, true);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> AdapterDeltas.read(dir, albert, SIGNATURE));
    assertTrue(e.getMessage().contains("module " + module + " updates a 256x256 kernel but " + QUERY
        + " is 312x312; use the base model the adapter was trained on"), e.getMessage());
  }

  private static TrainConfig config() {
    return TrainConfig.builder().model(albert.path().toString()).train(Path.of("unused.tsv"))
        .textColumn("text").labelColumn("label").out(Path.of("unused")).vbLora(CONFIG).rank(CONFIG.rank())
        .seed(CONFIG.seed()).build();
  }

  /**
   * pred of the untouched SavedModel (its own graph, restored by its own saver), and pred after each named variable
   * got {@code W + delta}, added here in float32.
   */
  private static float[][] baseBeforeAndAfterAdding(Map<String, float[][]> deltas) {
    SaverDef saver = albert.metaGraph().getSaverDef();
    try (Graph graph = new Graph()) {
      graph.importGraphDef(albert.metaGraph().getGraphDef());
      Ops tf = Ops.create(graph).withSubScope("test_merge");
      Map<String, Operand<TFloat32>> reads = new HashMap<>();
      Map<String, Placeholder<TFloat32>> merged = new HashMap<>();
      Map<String, Op> assigns = new HashMap<>();
      for (String variable : deltas.keySet()) {
        Operand<?> handle = graph.operationOrThrow(variable).output(0);
        reads.put(variable, tf.readVariableOp(handle, TFloat32.class));
        Placeholder<TFloat32> value = tf.placeholder(TFloat32.class);
        merged.put(variable, value);
        assigns.put(variable, tf.assignVariableOp(handle, value));
      }
      try (Session session = new Session(graph);
          TString prefix = TString.scalarOf(albert.variablesPrefix().toString())) {
        session.runner().feed(saver.getFilenameTensorName(), prefix).addTarget(saver.getRestoreOpName()).run().close();
        String pred = albert.signature(SIGNATURE).outputs().get("pred").tensorName();
        float[] before = run(session, pred);
        for (Map.Entry<String, float[][]> delta : deltas.entrySet()) {
          float[] w;
          try (Result result = session.runner().fetch(reads.get(delta.getKey())).run()) {
            w = floats((TFloat32) result.get(0));
          }
          float[][] d = delta.getValue();
          int columns = d[0].length;
          for (int i = 0; i < w.length; i++) {
            w[i] += d[i / columns][i % columns];
          }
          try (TFloat32 value = TFloat32.tensorOf(Shape.of(d.length, columns), DataBuffers.of(w, true, false))) {
            session.runner().feed(merged.get(delta.getKey()), value).addTarget(assigns.get(delta.getKey())).run()
                .close();
          }
        }
        return new float[][] {before, run(session, pred)};
      }
    }
  }

  /** One output of the signature, on the test batch. */
  private static float[] run(Session session, String output) {
    List<Tensor> fed = new ArrayList<>();
    try {
      Session.Runner runner = session.runner();
      inputs.forEach((name, values) -> {
        TInt32 t = TInt32.tensorOf(Shape.of(BATCH, LENGTH), DataBuffers.of(values, true, false));
        fed.add(t);
        runner.feed(name, t);
      });
      try (Result result = runner.fetch(output).run()) {
        return floats((TFloat32) result.get(0));
      }
    } finally {
      fed.forEach(Tensor::close);
    }
  }

  private static double maxDifference(float[] a, float[] b) {
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs(a[i] - b[i]));
    }
    return max;
  }

  private static float[] floats(TFloat32 tensor) {
    float[] values = new float[(int) tensor.shape().size()];
    tensor.asRawTensor().data().asFloats().read(values);
    return values;
  }
}
