package dev.finetune.vblora.savedmodel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.model.AdaptedGraph;
import dev.finetune.vblora.model.AdapterPlan;
import dev.finetune.vblora.model.AdapterVariable;
import dev.finetune.vblora.model.GraphRewriter;
import dev.finetune.vblora.model.Kernel;
import dev.finetune.vblora.model.KernelDiscovery;
import dev.finetune.vblora.model.LoraConfig;
import dev.finetune.vblora.model.LoraPlan;
import dev.finetune.vblora.model.TargetPattern;
import dev.finetune.vblora.model.TargetSelection;
import dev.finetune.vblora.model.TargetSelector;
import dev.finetune.vblora.model.VbLoraConfig;
import dev.finetune.vblora.model.VbLoraPlan;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/** VB-LoRA and LoRA spliced into the real BERT-base graph, against the untouched model's own outputs. */
class BertAdaptedGraphTest {
  private static final String SIGNATURE = "serving_default";
  private static final VbLoraConfig PAPER = VbLoraConfig.builder().numVectors(90).vectorLength(256).rank(4)
      .topk(2).seed(42).build();
  private static SavedModelInfo bert;
  private static BertInputs inputs;
  private static List<Kernel> qv;
  /** pooled_output and sequence_output (flattened) of the untouched model, loaded by TensorFlow itself. */
  private static float[][] untouched;

  @BeforeAll
  static void runTheUntouchedModel() {
    bert = SavedModelReader.read(TestModels.bert());
    inputs = new BertInputs(bert.path());
    qv = TargetSelector.select(KernelDiscovery.discover(bert.metaGraph(), SIGNATURE),
        TargetSelection.of(TargetPattern.preset("bert-qv")));
    try (SavedModelBundle bundle = SavedModelBundle.load(bert.path().toString(), "serve")) {
      Map<String, String> outputs = Map.of(
          "pooled_output", bert.defaultSignature().outputs().get("pooled_output").tensorName(),
          "sequence_output", bert.defaultSignature().outputs().get("sequence_output").tensorName());
      untouched = run(bundle.session(), outputs);
    }
  }

  /** Runs the BERT signature on the test sentences: [pooled_output, sequence_output], flattened. */
  private static float[][] run(Session session, Map<String, String> outputs) {
    try (TInt32 ids = TInt32.tensorOf(StdArrays.ndCopyOf(inputs.inputIds));
        TInt32 mask = TInt32.tensorOf(StdArrays.ndCopyOf(inputs.inputMask));
        TInt32 segments = TInt32.tensorOf(StdArrays.ndCopyOf(inputs.segmentIds));
        Result result = session.runner().feed("input_ids:0", ids).feed("input_mask:0", mask)
            .feed("segment_ids:0", segments)
            .fetch(outputs.get("pooled_output")).fetch(outputs.get("sequence_output")).run()) {
      return new float[][] {flat((TFloat32) result.get(0)), flat((TFloat32) result.get(1))};
    }
  }

  private static float[] flat(TFloat32 tensor) {
    float[] values = new float[(int) tensor.size()];
    tensor.asRawTensor().data().asFloats().read(values);
    return values;
  }

  private static AdaptedGraph rewrite(AdapterPlan plan) {
    return GraphRewriter.rewrite(bert.metaGraph(), SIGNATURE, plan, bert.variablesPrefix());
  }

  private static float[][] adaptedOutputs(AdaptedGraph adapted) {
    try (Session session = adapted.newSession()) {
      adapted.initialize(session);
      return run(session, adapted.outputs());
    }
  }

  @Test
  void aZeroBankGivesBitIdenticalOutputs() {
    try (AdaptedGraph adapted = rewrite(VbLoraPlan.of(qv, PAPER.toBuilder().initVectorBankBound(0).build()))) {
      float[][] out = adaptedOutputs(adapted);
      assertEquals(3 * 768, out[0].length);
      assertArrayEquals(untouched[0], out[0], 0f, "pooled_output");
      assertArrayEquals(untouched[1], out[1], 0f, "sequence_output");
    }
  }

  @Test
  void loraStartsBitIdenticalToo() {
    try (AdaptedGraph adapted = rewrite(LoraPlan.of(qv, new LoraConfig(8, 16, 0.1, 1)))) {
      assertEquals(48, adapted.trainableVariables().size());
      float[][] out = adaptedOutputs(adapted);
      assertArrayEquals(untouched[0], out[0], 0f, "pooled_output");
      assertArrayEquals(untouched[1], out[1], 0f, "sequence_output");
    }
  }

  @Test
  void aRandomBankIsLiveAndOnlyTheAdapterLearns() {
    try (AdaptedGraph adapted = rewrite(VbLoraPlan.of(qv, PAPER))) {
      List<AdapterVariable> trainable = adapted.trainableVariables();
      Set<String> baseVariables = bert.variables().stream().map(VariableInfo::name).collect(Collectors.toSet());
      assertEquals(1 + 2 * 24, trainable.size());
      assertTrue(trainable.stream().noneMatch(v -> baseVariables.contains(v.name())));

      Graph graph = adapted.graph();
      List<Op> steps = AdapterGradientStep.build(graph, adapted.outputs().get("pooled_output"), trainable);
      Ops tf = Ops.create(graph).withSubScope("test_reads");
      Map<String, Operand<TFloat32>> baseReads = new HashMap<>();
      for (String name : baseVariables) {
        baseReads.put(name, tf.readVariableOp(graph.operationOrThrow(name).output(0), TFloat32.class));
      }

      try (Session session = adapted.newSession()) {
        adapted.initialize(session);
        float[][] before = run(session, adapted.outputs());
        assertFalse(Arrays.equals(untouched[0], before[0]), "a random bank must change pooled_output");
        assertFalse(Arrays.equals(untouched[1], before[1]), "a random bank must change sequence_output");

        Map<String, Integer> baseBefore = fingerprints(session, baseReads);
        Map<String, Integer> adapterBefore = fingerprints(session, adapterReads(graph, trainable));
        try (TInt32 ids = TInt32.tensorOf(StdArrays.ndCopyOf(inputs.inputIds));
            TInt32 mask = TInt32.tensorOf(StdArrays.ndCopyOf(inputs.inputMask));
            TInt32 segments = TInt32.tensorOf(StdArrays.ndCopyOf(inputs.segmentIds))) {
          Session.Runner step = session.runner().feed("input_ids:0", ids).feed("input_mask:0", mask)
              .feed("segment_ids:0", segments);
          steps.forEach(step::addTarget);
          step.run().close();
        }
        assertEquals(baseBefore, fingerprints(session, baseReads), "no base variable may change");
        Map<String, Integer> adapterAfter = fingerprints(session, adapterReads(graph, trainable));
        for (AdapterVariable v : trainable) {
          assertNotEquals(adapterBefore.get(v.name()), adapterAfter.get(v.name()), v.name() + " got no update");
        }
      }
    }
  }

  private static Map<String, Operand<TFloat32>> adapterReads(Graph graph, List<AdapterVariable> variables) {
    Map<String, Operand<TFloat32>> reads = new HashMap<>();
    variables.forEach(v -> reads.put(v.name(), graph.outputOrThrow(v.value()).expect(TFloat32.class)));
    return reads;
  }

  /** A hash of every value's bits, one variable at a time (all of BERT at once would be 440 MB). */
  private static Map<String, Integer> fingerprints(Session session, Map<String, Operand<TFloat32>> reads) {
    Map<String, Integer> prints = new HashMap<>();
    reads.forEach((name, read) -> {
      try (Result result = session.runner().fetch(read).run()) {
        prints.put(name, Arrays.hashCode(flat((TFloat32) result.get(0))));
      }
    });
    return prints;
  }
}
