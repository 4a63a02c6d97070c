package dev.finetune.vblora.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.tensorflow.GraphOperation;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * A graph rewritten for staged steps (StepInputs.STAGED) computes what the fed graph computes: fed, as before;
 * not fed, from the staged row its step cursor points at.
 */
class StagedInputsTest {
  private static final String SIGNATURE = "serving_default";
  private static TinyEncoder.Fixture toy;

  @BeforeAll
  static void build() {
    toy = TinyEncoder.fixture(SIGNATURE, 7);
  }

  private static AdaptedGraph rewrite(StepInputs inputs) {
    VbLoraConfig config = VbLoraConfig.builder().numVectors(6).vectorLength(4).rank(2).topk(2).seed(11)
        .initVectorBankBound(0.5).build();
    return GraphRewriter.rewrite(toy.metaGraph(), SIGNATURE, VbLoraPlan.of(toy.kernels(), config),
        Path.of("unused"), UpdateForm.LOW_RANK, GemmPrecision.FLOAT32, inputs);
  }

  @Test
  void everyInputBecomesAPlaceholderWithAStagedDefaultAndALooserShape() {
    try (AdaptedGraph fed = rewrite(StepInputs.FED); AdaptedGraph staged = rewrite(StepInputs.STAGED)) {
      assertTrue(fed.staging().isEmpty());
      StepStaging.StagingLayout layout = staged.staging().orElseThrow();
      assertEquals(List.of(StepStaging.inputSlot("segment_ids"), StepStaging.inputSlot("x"), FedValues.TRAINING),
          layout.slots().stream().map(StepStaging.StagedSlot::name).sorted().toList());
      GraphOperation segments = staged.graph().operationOrThrow("segment_ids");
      assertEquals("PlaceholderWithDefault", segments.type());
      assertArrayEquals(new long[] {-1}, segments.attributes().getAttrShape("shape").asArray(),
          "the batch dimension stays open");
      assertEquals(org.tensorflow.proto.DataType.DT_INT64, layout.slot(StepStaging.inputSlot("segment_ids")).stored(),
          "integers are staged as int64");
      assertEquals("Placeholder", fed.graph().operationOrThrow("segment_ids").type());
    }
  }

  @Test
  void fedTheStagedGraphComputesTheFedGraphsOutputs() {
    try (AdaptedGraph fed = rewrite(StepInputs.FED); AdaptedGraph staged = rewrite(StepInputs.STAGED)) {
      Map<String, float[]> expected = TinyEncoder.outputsAndDeltas(fed, toy);
      Map<String, float[]> actual = TinyEncoder.outputsAndDeltas(staged, toy);
      assertEquals(expected.keySet(), actual.keySet());
      expected.forEach((k, v) -> assertArrayEquals(v, actual.get(k), 0f, k));
    }
  }

  /** Two staged rows, the toy's input in row 1 and zeros in row 0; cursor 3 picks row 3 mod 2 = 1. */
  @Test
  void unfedTheStagedGraphReadsTheRowItsCursorPointsAt() {
    try (AdaptedGraph fed = rewrite(StepInputs.FED); AdaptedGraph staged = rewrite(StepInputs.STAGED)) {
      Map<String, float[]> expected = TinyEncoder.outputsAndDeltas(fed, toy);
      StepStaging.StagingLayout layout = staged.staging().orElseThrow();
      Ops tf = Ops.create(staged.graph());
      float[][] x = toy.x();
      float[][][] xRows = {new float[x.length][x[0].length], x};
      long[][] segmentRows = new long[2][TinyEncoder.SEGMENTS.length];
      for (int i = 0; i < TinyEncoder.SEGMENTS.length; i++) {
        segmentRows[1][i] = TinyEncoder.SEGMENTS[i];
      }
      var assigns = List.of(
          tf.assignVariableOp(handle(staged, layout.slot(StepStaging.inputSlot("x")).variable()), tf.constant(xRows)),
          tf.assignVariableOp(handle(staged, layout.slot(StepStaging.inputSlot("segment_ids")).variable()),
              tf.constant(segmentRows)),
          tf.assignVariableOp(handle(staged, layout.slot(FedValues.TRAINING).variable()),
              tf.constant(new long[] {0, 0})),
          tf.assignVariableOp(handle(staged, layout.cursorVariable()), tf.constant(3L)));
      try (Session session = staged.newSession()) {
        TinyEncoder.assign(staged.graph(), session, toy.weights());
        staged.packBaseWeights(session);
        Session.Runner setUp = session.runner().addTarget(staged.initOp());
        assigns.forEach(setUp::addTarget);
        setUp.run().close();
        for (String key : staged.outputs().keySet()) {
          try (Result result = session.runner().fetch(staged.outputs().get(key)).run()) {
            TFloat32 t = (TFloat32) result.get(0);
            float[] flat = new float[(int) t.size()];
            t.asRawTensor().data().asFloats().read(flat);
            // The same arithmetic, but TensorFlow's graph optimizations may order it differently: float rounding.
            assertArrayEquals(expected.get("output:" + key), flat, 1e-5f, key);
          }
        }
        try (Result cursor = session.runner().fetch(layout.cursorValue()).run()) {
          assertEquals(3L, ((TInt64) cursor.get(0)).getLong(), "reading the outputs does not advance the cursor");
        }
      }
    }
  }

  private static org.tensorflow.Operand<?> handle(AdaptedGraph graph, String variable) {
    return graph.graph().operationOrThrow(variable).output(0);
  }
}
