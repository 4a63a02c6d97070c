package dev.finetune.vblora.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TString;

/**
 * The multi-adapter serving graph on the toy encoder, every kernel adapted: an example served with an adapter gets
 * what the untouched model gives with W + delta in each kernel, also where one adapted product reads another's
 * output directly (the toy's intermediate and output kernels); an example served as base gets the untouched
 * model's.
 */
class MultiAdapterRewriterTest {
  private static final String SIGNATURE = "serving_default";
  private static final int RANK = 2;

  @Test
  void eachExampleGetsItsAdaptersMergedModelAlsoThroughChainedProducts() {
    TinyEncoder.Fixture toy = TinyEncoder.fixture(SIGNATURE, 7);
    Random random = new Random(13);
    Map<String, StackedAdapters.KernelSlots> kernels = new LinkedHashMap<>();
    Map<String, float[][]> merged = new LinkedHashMap<>(toy.weights());
    for (Kernel k : toy.kernels()) {
      int in = (int) k.inFeatures();
      int out = (int) k.outFeatures();
      // Slot 0 is the adapter, slot 1 the base (zeros): down = A [rank, in], up = s B^T [rank, out].
      float[] down = new float[2 * RANK * in];
      float[] up = new float[2 * RANK * out];
      for (int i = 0; i < RANK * in; i++) {
        down[i] = (float) (0.5 * random.nextGaussian());
      }
      for (int i = 0; i < RANK * out; i++) {
        up[i] = (float) (0.5 * random.nextGaussian());
      }
      kernels.put(k.variable(), new StackedAdapters.KernelSlots(Optional.empty(),
          Optional.of(new StackedAdapters.LoraSlots(RANK, in, out, down, up))));
      // delta [in, out] = down^T up, stored transposed for a kernel applied with transpose_b
      boolean transposed = k.uses().get(0).transposeWeight();
      float[][] w = toy.weights().get(k.variable());
      float[][] sum = new float[w.length][w[0].length];
      for (int i = 0; i < in; i++) {
        for (int o = 0; o < out; o++) {
          double delta = 0;
          for (int r = 0; r < RANK; r++) {
            delta += down[r * in + i] * up[r * out + o];
          }
          int row = transposed ? o : i;
          int col = transposed ? i : o;
          sum[row][col] = (float) (w[row][col] + delta);
        }
      }
      merged.put(k.variable(), sum);
    }
    StackedAdapters stacked = new StackedAdapters(List.of("a"), new float[0], 0, false, kernels);
    MultiAdapterRewriter.Rewritten rewritten = MultiAdapterRewriter.rewrite(toy.metaGraph(), SIGNATURE, stacked);

    Map<String, String> outputs = new LinkedHashMap<>();
    rewritten.byName().getOutputsMap().forEach((key, info) -> outputs.put(key, info.getName()));
    String choice = rewritten.byName().getInputsOrThrow(MultiAdapterRewriter.ADAPTER_INPUT).getName();
    float[][] served;
    float[][] servedBase;
    try (Graph graph = new Graph()) {
      graph.importGraphDef(rewritten.graph());
      try (Session session = new Session(graph)) {
        TinyEncoder.assign(graph, session, toy.weights());
        served = run(session, outputs.get("sequence_output"), choice, toy.x(), "a");
        servedBase = run(session, outputs.get("sequence_output"), choice, toy.x(), StackedAdapters.BASE);
      }
    }
    float[][] expected = untouched(toy, merged);
    float[][] base = untouched(toy, toy.weights());
    double moved = 0;
    for (int r = 0; r < expected.length; r++) {
      assertArrayEquals(expected[r], served[r], 1e-4f, "adapter a, row " + r);
      assertArrayEquals(base[r], servedBase[r], 1e-5f, "base, row " + r);
      for (int j = 0; j < expected[r].length; j++) {
        moved = Math.max(moved, Math.abs(expected[r][j] - base[r][j]));
      }
    }
    assertTrue(moved > 1e-2, "the adapter must move the outputs for the comparison to mean anything: " + moved);
  }

  /** The toy's sequence_output with {@code weights} in its variables. */
  private static float[][] untouched(TinyEncoder.Fixture toy, Map<String, float[][]> weights) {
    try (Graph graph = new Graph()) {
      graph.importGraphDef(toy.metaGraph().getGraphDef());
      try (Session session = new Session(graph)) {
        TinyEncoder.assign(graph, session, weights);
        String sequence = toy.metaGraph().getSignatureDefOrThrow(SIGNATURE).getOutputsOrThrow("sequence_output")
            .getName();
        return run(session, sequence, null, toy.x(), null);
      }
    }
  }

  /** {@code output} for the toy's rows, each served with {@code adapter} through {@code choice} (null: none fed). */
  private static float[][] run(Session session, String output, String choice, float[][] x, String adapter) {
    try (TFloat32 rows = TFloat32.tensorOf(StdArrays.ndCopyOf(x));
        TInt32 segments = TInt32.vectorOf(TinyEncoder.SEGMENTS);
        TString names = adapter == null ? TString.scalarOf("") : TString.vectorOf(adapter, adapter, adapter)) {
      Session.Runner runner = session.runner().feed("x:0", rows).feed("segment_ids:0", segments);
      if (choice != null) {
        runner.feed(choice, names);
      }
      try (Result result = runner.fetch(output).run()) {
        return StdArrays.array2dCopyOf((TFloat32) result.get(0));
      }
    }
  }
}
