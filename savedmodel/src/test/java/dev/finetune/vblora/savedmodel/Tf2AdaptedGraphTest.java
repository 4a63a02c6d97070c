package dev.finetune.vblora.savedmodel;

import static dev.finetune.vblora.savedmodel.TensorValues.fingerprints;
import static dev.finetune.vblora.savedmodel.TensorValues.flat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.model.AdaptedGraph;
import dev.finetune.vblora.model.AdapterPlan;
import dev.finetune.vblora.model.AdapterVariable;
import dev.finetune.vblora.model.AppliedUpdateForms;
import dev.finetune.vblora.model.GraphRewriter;
import dev.finetune.vblora.model.Kernel;
import dev.finetune.vblora.model.KernelDiscovery;
import dev.finetune.vblora.model.LoraConfig;
import dev.finetune.vblora.model.LoraPlan;
import dev.finetune.vblora.model.UpdateForm;
import dev.finetune.vblora.model.VbLoraConfig;
import dev.finetune.vblora.model.VbLoraPlan;
import dev.finetune.vblora.ops.testing.SharedFolder;
import dev.finetune.vblora.savedmodel.export.MergedExporter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;

/**
 * Dense (MatMul) and attention (Einsum) kernels of real TF2 (Keras) SavedModels, applied inside functions,
 * adapted through the inlined serving path; checked against the untouched model as TensorFlow itself loads and
 * runs it, and against the merged export.
 */
class Tf2AdaptedGraphTest {
  private static final String SIGNATURE = "serving_default";
  /** vector_length 2 divides every hidden size of the fixtures; only their [n, 1] heads are left out. */
  private static final VbLoraConfig SMALL = VbLoraConfig.builder().numVectors(16).vectorLength(2).rank(2).topk(2)
      .seed(7).build();
  private static final int BATCH = 3;

  /** One fixture: its description, random inputs of the signature's shapes, and the untouched outputs. */
  private record Fixture(SavedModelInfo model, Map<String, float[]> inputs, Map<String, Shape> shapes,
      Map<String, float[]> untouched) {
    static Fixture load(String name) {
      SavedModelInfo model = SavedModelReader.read(SharedFolder.resolve("fixtures/tf2/" + name));
      SignatureInfo signature = model.signature(SIGNATURE);
      Random random = new Random(11);
      Map<String, float[]> inputs = new HashMap<>();
      Map<String, Shape> shapes = new HashMap<>();
      signature.inputs().forEach((key, spec) -> {
        assertEquals(DataType.DT_FLOAT, spec.dtype(), key);
        long[] dims = spec.shape().stream().mapToLong(d -> d < 0 ? BATCH : d).toArray();
        Shape shape = Shape.of(dims);
        float[] values = new float[(int) shape.size()];
        for (int i = 0; i < values.length; i++) {
          values[i] = (float) random.nextGaussian();
        }
        inputs.put(spec.tensorName(), values);
        shapes.put(spec.tensorName(), shape);
      });
      Map<String, String> outputs = new HashMap<>();
      signature.outputs().forEach((key, spec) -> outputs.put(key, spec.tensorName()));
      Fixture partial = new Fixture(model, inputs, shapes, Map.of());
      try (SavedModelBundle bundle = SavedModelBundle.load(model.path().toString(), "serve")) {
        return new Fixture(model, inputs, shapes, partial.run(bundle.session(), outputs));
      }
    }

    /** Output key to flattened values, the signature run on the random inputs. */
    Map<String, float[]> run(Session session, Map<String, String> outputs) {
      List<TFloat32> fed = new ArrayList<>();
      try {
        Session.Runner runner = fedRunner(session, fed);
        List<String> keys = new ArrayList<>(outputs.keySet());
        keys.forEach(k -> runner.fetch(outputs.get(k)));
        try (Result result = runner.run()) {
          Map<String, float[]> values = new HashMap<>();
          for (int i = 0; i < keys.size(); i++) {
            values.put(keys.get(i), flat((TFloat32) result.get(i)));
          }
          return values;
        }
      } finally {
        fed.forEach(TFloat32::close);
      }
    }

    /** A runner with the random inputs fed; the tensors go to {@code fed}, for the caller to close. */
    private Session.Runner fedRunner(Session session, List<TFloat32> fed) {
      Session.Runner runner = session.runner();
      inputs.forEach((tensor, values) -> {
        TFloat32 t = TFloat32.tensorOf(shapes.get(tensor), DataBuffers.of(values, true, false));
        fed.add(t);
        runner.feed(tensor, t);
      });
      return runner;
    }

    /** Runs {@code targets} with the random inputs fed. */
    void runTargets(Session session, List<Op> targets) {
      List<TFloat32> fed = new ArrayList<>();
      try {
        Session.Runner runner = fedRunner(session, fed);
        targets.forEach(runner::addTarget);
        runner.run().close();
      } finally {
        fed.forEach(TFloat32::close);
      }
    }

    /**
     * The kernels applied by plain MatMuls (Dense layers) and, when {@code withEinsum}, by Einsums
     * (MultiHeadAttention), whose sizes vector_length 2 divides.
     */
    List<Kernel> kernels(boolean withEinsum) {
      List<Kernel> kernels = KernelDiscovery.discover(model.metaGraph(), SIGNATURE).stream()
          .filter(k -> k.op().equals("MatMul") || withEinsum && k.op().equals("Einsum"))
          .filter(k -> k.inFeatures() % 2 == 0 && k.outFeatures() % 2 == 0)
          .collect(Collectors.toList());
      assertFalse(kernels.isEmpty(), "the fixture has such kernels");
      assertTrue(kernels.stream().allMatch(k -> !k.uses().get(0).function().isEmpty()), "applied inside functions");
      return kernels;
    }

    List<Kernel> denseKernels() {
      return kernels(false);
    }

    AdaptedGraph rewrite(AdapterPlan plan) {
      return GraphRewriter.rewrite(model.metaGraph(), SIGNATURE, plan, model.variablesPrefix());
    }
  }

  private static void assertBitIdentical(Map<String, float[]> expected, Map<String, float[]> actual) {
    assertEquals(expected.keySet(), actual.keySet());
    expected.forEach((key, values) -> assertArrayEquals(values, actual.get(key), 0f, key));
  }

  @ParameterizedTest
  @ValueSource(strings = {"keras_dense_mlp", "keras_mha1_encoder", "keras_mha3_timeseries"})
  void aZeroBankGivesBitIdenticalOutputs(String name) {
    Fixture fixture = Fixture.load(name);
    List<Kernel> dense = fixture.denseKernels();
    try (AdaptedGraph adapted = fixture.rewrite(VbLoraPlan.of(dense, SMALL.toBuilder().initVectorBankBound(0).build()));
        Session session = adapted.newSession()) {
      assertEquals(3, adapted.trainableVariables().size(), "the bank and the packed logits_A and logits_B");
      assertEquals(dense.stream().map(Kernel::name).toList(), adapted.logitsLayout().orElseThrow().kernels());
      adapted.initialize(session);
      assertBitIdentical(fixture.untouched(), fixture.run(session, adapted.outputs()));
    }
  }

  /**
   * A Keras export's equal-shaped Dense kernels are packed too (its inlined functions receive each handle through
   * an Identity); its saver restores inside a function, so the members are restored, packed and then freed.
   */
  @Test
  void aKerasModelsEqualShapedWeightsArePackedAfterItsOwnRestore() {
    Fixture fixture = Fixture.load("keras_dense_mlp");
    try (AdaptedGraph adapted = fixture.rewrite(VbLoraPlan.of(fixture.denseKernels(),
        SMALL.toBuilder().initVectorBankBound(0).build()));
        Session session = adapted.newSession()) {
      assertFalse(adapted.packedBaseWeights().groups().isEmpty(), "dense_1 and dense_2 share [256, 256]");
      assertFalse(adapted.restoresIntoPackedVariables(), "the saver restores inside a function");
      String member = adapted.packedBaseWeights().groups().get(0).members().get(0);
      Operand<TBool> filled = Ops.create(adapted.graph()).withSubScope("test_member")
          .varIsInitializedOp(adapted.graph().operationOrThrow(member).output(0));
      adapted.initialize(session);
      assertBitIdentical(fixture.untouched(), fixture.run(session, adapted.outputs()));
      try (Result result = session.runner().fetch(filled).run()) {
        assertFalse(((TBool) result.get(0)).getBoolean(), member + " is freed once packed");
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"keras_dense_mlp", "keras_mha1_encoder"})
  void loraStartsBitIdenticalToo(String name) {
    Fixture fixture = Fixture.load(name);
    try (AdaptedGraph adapted = fixture.rewrite(LoraPlan.of(fixture.denseKernels(), new LoraConfig(2, 4, 0.1, 1)));
        Session session = adapted.newSession()) {
      adapted.initialize(session);
      assertBitIdentical(fixture.untouched(), fixture.run(session, adapted.outputs()));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"keras_dense_mlp", "keras_mha1_encoder", "keras_mha3_timeseries"})
  void aRandomBankIsLiveAndOnlyTheAdapterLearns(String name) {
    Fixture fixture = Fixture.load(name);
    // Dense and (where the model has them) attention Einsum kernels.
    try (AdaptedGraph adapted = fixture.rewrite(VbLoraPlan.of(fixture.kernels(true), SMALL))) {
      List<AdapterVariable> trainable = adapted.trainableVariables();
      // TF2 checkpoints key variables by object path; the graph's float VarHandleOps are the base weights.
      Set<String> baseVariables = fixture.model().metaGraph().getGraphDef().getNodeList().stream()
          .filter(n -> n.getOp().equals("VarHandleOp") && n.getAttrOrThrow("dtype").getType() == DataType.DT_FLOAT)
          .map(NodeDef::getName).collect(Collectors.toSet());
      assertFalse(baseVariables.isEmpty());
      assertTrue(trainable.stream().noneMatch(v -> baseVariables.contains(v.name())));

      Graph graph = adapted.graph();
      String outputKey = adapted.outputs().keySet().iterator().next();
      List<Op> steps = AdapterGradientStep.build(graph, adapted.outputs().get(outputKey), trainable);
      Ops tf = Ops.create(graph).withSubScope("test_reads");
      Map<String, Operand<TFloat32>> baseReads = new HashMap<>();
      for (String variable : baseVariables) {
        // Wherever the weight lives: its own variable or its row of a packed one.
        baseReads.put(variable, adapted.readBaseWeight(tf, variable).asOutput().expect(TFloat32.class));
      }
      Map<String, Operand<TFloat32>> adapterReads = new HashMap<>();
      trainable.forEach(v -> adapterReads.put(v.name(), graph.outputOrThrow(v.value()).expect(TFloat32.class)));

      try (Session session = adapted.newSession()) {
        adapted.initialize(session);
        Map<String, float[]> before = fixture.run(session, adapted.outputs());
        assertFalse(Arrays.equals(fixture.untouched().get(outputKey), before.get(outputKey)),
            "a random bank must change " + outputKey);
        Map<String, Integer> baseBefore = fingerprints(session, baseReads);
        Map<String, Integer> adapterBefore = fingerprints(session, adapterReads);
        fixture.runTargets(session, steps);
        assertEquals(baseBefore, fingerprints(session, baseReads), "no base variable may change");
        Map<String, Integer> adapterAfter = fingerprints(session, adapterReads);
        for (AdapterVariable v : trainable) {
          assertNotEquals(adapterBefore.get(v.name()), adapterAfter.get(v.name()), v.name() + " got no update");
        }
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"keras_dense_mlp", "keras_mha1_encoder"})
  void theMergedExportServesWhatTheAdaptedGraphComputes(String name, @TempDir Path dir) throws Exception {
    Fixture fixture = Fixture.load(name);
    Map<String, float[]> adaptedOutputs;
    Map<String, float[][]> deltas;
    try (AdaptedGraph adapted = fixture.rewrite(VbLoraPlan.of(fixture.denseKernels(), SMALL));
        Session session = adapted.newSession()) {
      adapted.initialize(session);
      adaptedOutputs = fixture.run(session, adapted.outputs());
      deltas = adapted.deltas(session);
    }
    assertMergedServesAdapted(fixture, adaptedOutputs, deltas, dir.resolve("merged"));
  }

  /** Exports W + delta, loads it as TF Serving would, and compares with the adapted graph's outputs. */
  private static void assertMergedServesAdapted(Fixture fixture, Map<String, float[]> adaptedOutputs,
      Map<String, float[][]> deltas, Path merged) throws Exception {
    new MergedExporter(fixture.model().path(), "serve").export(deltas, Optional.empty(), merged);
    Map<String, String> outputs = new HashMap<>();
    fixture.model().signature(SIGNATURE).outputs().forEach((key, spec) -> outputs.put(key, spec.tensorName()));
    try (SavedModelBundle bundle = SavedModelBundle.load(merged.toString(), "serve")) {
      Map<String, float[]> served = fixture.run(bundle.session(), outputs);
      assertEquals(adaptedOutputs.keySet(), served.keySet());
      adaptedOutputs.forEach((key, values) -> {
        assertFalse(Arrays.equals(fixture.untouched().get(key), values), "the adapter must matter for " + key);
        // x (W + delta) and x W + (x down) up differ only by float rounding.
        assertArrayEquals(values, served.get(key), 1e-4f, key);
      });
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"keras_mha1_encoder", "keras_mha3_timeseries"})
  void attentionEinsumKernelsAdaptToo(String name, @TempDir Path dir) throws Exception {
    Fixture fixture = Fixture.load(name);
    List<Kernel> kernels = fixture.kernels(true);
    assertTrue(kernels.stream().anyMatch(k -> k.op().equals("Einsum")));
    try (AdaptedGraph zero = fixture.rewrite(VbLoraPlan.of(kernels, SMALL.toBuilder().initVectorBankBound(0).build()));
        Session session = zero.newSession()) {
      zero.initialize(session);
      assertBitIdentical(fixture.untouched(), fixture.run(session, zero.outputs()));
    }
    Map<String, float[]> adaptedOutputs;
    Map<String, float[][]> deltas;
    try (AdaptedGraph adapted = fixture.rewrite(VbLoraPlan.of(kernels, SMALL));
        Session session = adapted.newSession()) {
      adapted.initialize(session);
      adaptedOutputs = fixture.run(session, adapted.outputs());
      deltas = adapted.deltas(session);
    }
    assertMergedServesAdapted(fixture, adaptedOutputs, deltas, dir.resolve("merged"));
  }

  /**
   * A model whose attention kernels are Einsums: under merged-factored its Dense kernels take the form (one marked
   * product each) and its Einsum kernels keep the low-rank form, and the graph's report says which and why.
   */
  @Test
  void theReportedFormsAreWhatEachKernelGot() {
    Fixture fixture = Fixture.load("keras_mha1_encoder");
    List<Kernel> kernels = fixture.kernels(true);
    Set<String> einsum = kernels.stream().filter(k -> k.op().equals("Einsum")).map(Kernel::name)
        .collect(Collectors.toSet());
    assertFalse(einsum.isEmpty());
    assertTrue(einsum.size() < kernels.size(), "Dense kernels too");
    try (AdaptedGraph adapted = GraphRewriter.rewrite(fixture.model().metaGraph(), SIGNATURE,
        VbLoraPlan.of(kernels, SMALL), fixture.model().variablesPrefix(), UpdateForm.MERGED_FACTORED)) {
      AppliedUpdateForms forms = adapted.updateForms();
      assertEquals(UpdateForm.MERGED_FACTORED, forms.asked());
      assertFalse(forms.asAsked());
      kernels.forEach(k -> assertEquals(einsum.contains(k.name()) ? UpdateForm.LOW_RANK : UpdateForm.MERGED_FACTORED,
          forms.byKernel().get(k.name()), k.name()));
      assertEquals(einsum, forms.reasons().keySet());
      assertTrue(forms.reasons().values().stream().allMatch(r -> r.contains("Einsum")), forms.reasons().toString());
      long markers = 0;
      for (Iterator<GraphOperation> it = adapted.graph().operations(); it.hasNext();) {
        GraphOperation op = it.next();
        markers += op.type().equals("IdentityN") && op.name().endsWith("/vblora_factored_gradient") ? 1 : 0;
      }
      assertEquals(kernels.size() - einsum.size(), markers, "one marked product per Dense kernel");
      String line = forms.describe();
      assertTrue(line.startsWith("merged-factored asked; got low-rank for " + einsum.size() + " kernel"), line);
    }
  }
}
