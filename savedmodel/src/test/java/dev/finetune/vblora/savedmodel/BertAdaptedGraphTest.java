package dev.finetune.vblora.savedmodel;

import static dev.finetune.vblora.savedmodel.TensorValues.fingerprints;
import static dev.finetune.vblora.savedmodel.TensorValues.flat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
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
import dev.finetune.vblora.model.UpdateForm;
import dev.finetune.vblora.model.VbLoraConfig;
import dev.finetune.vblora.model.VbLoraPlan;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

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
  void theCheckpointGoesStraightIntoThePackedBaseWeights() {
    try (AdaptedGraph adapted = rewrite(VbLoraPlan.of(qv, PAPER.toBuilder().initVectorBankBound(0).build()))) {
      assertTrue(adapted.restoresIntoPackedVariables());
      assertBitIdenticalWithMembersHoldingNoValue(adapted);
    }
  }

  /** A saver whose assignments it cannot trace (a Snapshot between a RestoreV2 and its assign) still restores. */
  @Test
  void aSaverItCannotFollowRestoresThroughTheMembersInstead() {
    MetaGraphDef meta = bert.metaGraph();
    String saverScope = meta.getSaverDef().getRestoreOpName().split("/")[0] + "/";
    GraphDef.Builder graph = meta.getGraphDef().toBuilder();
    NodeDef assign = graph.getNodeList().stream()
        .filter(n -> n.getOp().equals("AssignVariableOp") && n.getName().startsWith(saverScope)
            && n.getInput(0).contains("/encoder/layer_0/attention/self/query/kernel"))
        .findFirst().orElseThrow();
    graph.addNode(node("test_snapshot", "Snapshot").addInput(assign.getInput(1)).putAttr("T", type(DataType.DT_FLOAT)));
    for (int i = 0; i < graph.getNodeCount(); i++) {
      if (graph.getNode(i).getName().equals(assign.getName())) {
        graph.setNode(i, assign.toBuilder().setInput(1, "test_snapshot"));
      }
    }
    MetaGraphDef snapshotting = meta.toBuilder().setGraphDef(graph).build();
    try (AdaptedGraph adapted = GraphRewriter.rewrite(snapshotting, SIGNATURE,
        VbLoraPlan.of(qv, PAPER.toBuilder().initVectorBankBound(0).build()), bert.variablesPrefix())) {
      assertFalse(adapted.restoresIntoPackedVariables());
      assertBitIdenticalWithMembersHoldingNoValue(adapted);
    }
  }

  /** A saver that restores more than variables (here a lookup table's contents) runs itself, all of it. */
  @Test
  void aSaverThatRestoresMoreThanVariablesRunsItself() {
    MetaGraphDef meta = bert.metaGraph();
    GraphDef.Builder graph = meta.getGraphDef().toBuilder();
    graph.addNode(node("test_table", "MutableHashTableV2").putAttr("key_dtype", type(DataType.DT_STRING))
        .putAttr("value_dtype", type(DataType.DT_INT64)).putAttr("shared_name", text("test_table")));
    graph.addNode(node("test_keys", "Const").putAttr("dtype", type(DataType.DT_STRING)).putAttr("value",
        AttrValue.newBuilder().setTensor(TensorProto.newBuilder().setDtype(DataType.DT_STRING)
            .setTensorShape(TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dim.newBuilder().setSize(1)))
            .addStringVal(ByteString.copyFromUtf8("a"))).build()));
    graph.addNode(node("test_values", "Const").putAttr("dtype", type(DataType.DT_INT64)).putAttr("value",
        AttrValue.newBuilder().setTensor(TensorProto.newBuilder().setDtype(DataType.DT_INT64)
            .setTensorShape(TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dim.newBuilder().setSize(1)))
            .addInt64Val(7)).build()));
    graph.addNode(node("test_import", "LookupTableImportV2").addInput("test_table").addInput("test_keys")
        .addInput("test_values").putAttr("Tin", type(DataType.DT_STRING)).putAttr("Tout", type(DataType.DT_INT64)));
    graph.addNode(node("test_size", "LookupTableSizeV2").addInput("test_table"));
    String restoreAll = meta.getSaverDef().getRestoreOpName();
    for (int i = 0; i < graph.getNodeCount(); i++) {
      if (graph.getNode(i).getName().equals(restoreAll)) {
        graph.setNode(i, graph.getNode(i).toBuilder().addInput("^test_import"));
      }
    }
    MetaGraphDef withTable = meta.toBuilder().setGraphDef(graph).build();
    try (AdaptedGraph adapted = GraphRewriter.rewrite(withTable, SIGNATURE,
        VbLoraPlan.of(qv, PAPER.toBuilder().initVectorBankBound(0).build()), bert.variablesPrefix())) {
      assertFalse(adapted.restoresIntoPackedVariables());
      assertBitIdenticalWithMembersHoldingNoValue(adapted);
      try (Session session = adapted.newSession()) {
        adapted.initialize(session);
        try (Result result = session.runner().fetch("test_size:0").run()) {
          assertEquals(1L, ((TInt64) result.get(0)).getLong(), "the table the saver fills");
        }
      }
    }
  }

  private static NodeDef.Builder node(String name, String op) {
    return NodeDef.newBuilder().setName(name).setOp(op);
  }

  private static AttrValue type(DataType type) {
    return AttrValue.newBuilder().setType(type).build();
  }

  private static AttrValue text(String value) {
    return AttrValue.newBuilder().setS(ByteString.copyFromUtf8(value)).build();
  }

  /**
   * The untouched model's outputs, and afterwards no packed member holds a value: either it was never filled or
   * it was freed once packed.
   */
  private static void assertBitIdenticalWithMembersHoldingNoValue(AdaptedGraph adapted) {
    String member = adapted.packedBaseWeights().groups().get(0).members().get(0);
    Ops tf = Ops.create(adapted.graph()).withSubScope("test_member");
    Operand<TBool> filled = tf.varIsInitializedOp(adapted.graph().operationOrThrow(member).output(0));
    try (Session session = adapted.newSession()) {
      adapted.initialize(session);
      float[][] out = run(session, adapted.outputs());
      assertArrayEquals(untouched[0], out[0], 0f, "pooled_output");
      assertArrayEquals(untouched[1], out[1], 0f, "sequence_output");
      try (Result result = session.runner().fetch(filled).run()) {
        assertFalse(((TBool) result.get(0)).getBoolean(), member + " still holds a value");
      }
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
      assertEquals(3, trainable.size(), "the bank and the packed logits_A and logits_B");
      assertEquals(24, adapted.logitsLayout().orElseThrow().kernels().size());
      assertTrue(trainable.stream().noneMatch(v -> baseVariables.contains(v.name())));

      Graph graph = adapted.graph();
      List<Op> steps = AdapterGradientStep.build(graph, adapted.outputs().get("pooled_output"), trainable);
      Ops tf = Ops.create(graph).withSubScope("test_reads");
      Map<String, Operand<TFloat32>> baseReads = new HashMap<>();
      for (String name : baseVariables) {
        // Wherever the weight lives: its own variable or its row of a packed one.
        baseReads.put(name, adapted.readBaseWeight(tf, name).asOutput().expect(TFloat32.class));
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

  @Test
  void theMergedUpdateFormStartsBitIdenticalToo() {
    try (AdaptedGraph adapted = GraphRewriter.rewrite(bert.metaGraph(), SIGNATURE,
        VbLoraPlan.of(qv, PAPER.toBuilder().initVectorBankBound(0).build()), bert.variablesPrefix(),
        UpdateForm.MERGED)) {
      float[][] out = adaptedOutputs(adapted);
      assertArrayEquals(untouched[0], out[0], 0f, "pooled_output");
      assertArrayEquals(untouched[1], out[1], 0f, "sequence_output");
    }
  }

  /**
   * x (W + A B) and x W + (x A) B are the same function of the adapter: outputs and the adapter's gradients
   * agree to float32 round-off (different summation orders through 12 layers), for VB-LoRA and LoRA, whether the
   * merged product's adapter gradients come from the dense x^T dy (merged) or through the factors
   * (merged-factored, whose LoRA scaling alpha/r = 2 is applied by the rewrite's own constant).
   */
  @ParameterizedTest
  @EnumSource(value = UpdateForm.class, names = {"MERGED", "MERGED_FACTORED"})
  void theMergedUpdateFormsComputeWhatTheLowRankFormDoes(UpdateForm form) {
    List<AdapterPlan> plans = List.of(VbLoraPlan.of(qv, PAPER),
        LoraPlan.of(qv, new LoraConfig(8, 16, 0.0, 1)));
    for (AdapterPlan plan : plans) {
      Map<String, float[]> lowRank = outputsAndGradients(plan, UpdateForm.LOW_RANK);
      Map<String, float[]> merged = outputsAndGradients(plan, form);
      assertEquals(lowRank.keySet(), merged.keySet());
      for (String name : lowRank.keySet()) {
        float[] expected = lowRank.get(name);
        float[] actual = merged.get(name);
        double scale = 0;
        for (float v : expected) {
          scale = Math.max(scale, Math.abs(v));
        }
        assertTrue(scale > 0, plan.method() + " " + name + " is all zeros, so the comparison would prove nothing");
        double maxDiff = 0;
        for (int i = 0; i < expected.length; i++) {
          maxDiff = Math.max(maxDiff, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(maxDiff <= 1e-4 * scale, plan.method() + " " + name + ": max |low-rank - " + form.label() + "| "
            + maxDiff + " against max |value| " + scale);
      }
    }
  }

  @Test
  void theMergedUpdateFormRefusesAdapterDropoutItCannotApply() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GraphRewriter.rewrite(
        bert.metaGraph(), SIGNATURE, LoraPlan.of(qv, new LoraConfig(8, 16, 0.1, 1)), bert.variablesPrefix(),
        UpdateForm.MERGED));
    assertTrue(e.getMessage().contains("dropout") && e.getMessage().contains("low-rank"), e.getMessage());
  }

  /** pooled_output, sequence_output and the gradient of mean(pooled_output^2) w.r.t. every adapter variable. */
  private static Map<String, float[]> outputsAndGradients(AdapterPlan plan, UpdateForm form) {
    try (AdaptedGraph adapted = GraphRewriter.rewrite(bert.metaGraph(), SIGNATURE, plan, bert.variablesPrefix(),
        form)) {
      Graph graph = adapted.graph();
      Ops tf = Ops.create(graph).withSubScope("test_gradients");
      Operand<TFloat32> pooled = graph.outputOrThrow(adapted.outputs().get("pooled_output")).expect(TFloat32.class);
      Operand<TFloat32> loss = tf.math.mean(tf.math.square(pooled), tf.constant(new int[] {0, 1}));
      List<AdapterVariable> trainable = adapted.trainableVariables();
      Output<?>[] gradients = graph.addGradients(loss.asOutput(),
          trainable.stream().map(v -> graph.outputOrThrow(v.value())).toArray(Output<?>[]::new));
      // LoRA starts with up = 0, where the down factors get no gradient: give the ups seeded values first.
      List<Op> liveUps = new ArrayList<>();
      Random random = new Random(7);
      for (AdapterVariable v : trainable) {
        if (v.group().equals(AdapterVariable.LORA_UP)) {
          float[] values = new float[(int) v.size()];
          for (int i = 0; i < values.length; i++) {
            values[i] = (float) (0.02 * random.nextGaussian());
          }
          liveUps.add(tf.assignVariableOp(graph.operationOrThrow(v.name()).output(0),
              tf.reshape(tf.constant(values), tf.constant(v.shape().stream().mapToLong(Long::longValue).toArray()))));
        }
      }
      Map<String, float[]> values = new TreeMap<>();
      try (Session session = adapted.newSession()) {
        adapted.initialize(session);
        if (!liveUps.isEmpty()) {
          Session.Runner assign = session.runner();
          liveUps.forEach(assign::addTarget);
          assign.run().close();
        }
        float[][] outputs = run(session, adapted.outputs());
        values.put("pooled_output", outputs[0]);
        values.put("sequence_output", outputs[1]);
        try (TInt32 ids = TInt32.tensorOf(StdArrays.ndCopyOf(inputs.inputIds));
            TInt32 mask = TInt32.tensorOf(StdArrays.ndCopyOf(inputs.inputMask));
            TInt32 segments = TInt32.tensorOf(StdArrays.ndCopyOf(inputs.segmentIds))) {
          Session.Runner runner = session.runner().feed("input_ids:0", ids).feed("input_mask:0", mask)
              .feed("segment_ids:0", segments);
          for (Output<?> gradient : gradients) {
            runner.fetch(gradient);
          }
          try (Result result = runner.run()) {
            for (int i = 0; i < trainable.size(); i++) {
              values.put("d/d " + trainable.get(i).name(), flat((TFloat32) result.get(i)));
            }
          }
        }
      }
      return values;
    }
  }

  private static Map<String, Operand<TFloat32>> adapterReads(Graph graph, List<AdapterVariable> variables) {
    Map<String, Operand<TFloat32>> reads = new HashMap<>();
    variables.forEach(v -> reads.put(v.name(), graph.outputOrThrow(v.value()).expect(TFloat32.class)));
    return reads;
  }
}
