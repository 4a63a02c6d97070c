package dev.finetune.vblora.ops;

import static dev.finetune.vblora.ops.testing.TestArrays.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.ops.testing.GraphRunner;
import dev.finetune.vblora.ops.testing.ReferenceVbLora;
import dev.finetune.vblora.ops.testing.TestArrays;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.family.TNumber;

/** Both compositions turn logits into PEFT's factors: down = A_pt^T [in, r], up = B_pt^T [r, out]. */
class FactorCompositionTest {

  /** A composition under test: fused or per-layer. */
  interface Composition {
    <T extends TNumber> List<LowRankFactors<T>> compose(Ops tf, Operand<T> bank, List<LayerLogits<T>> layers,
        VbLoraDims dims);
  }

  static final Composition FUSED = FusedFactorComposition::compose;
  static final Composition PER_LAYER = PerLayerFactorComposition::compose;

  static final Object[][] TABLE = {
        // name, dims (h, b, r, k), layers as {in, out}
        {"one layer", new VbLoraDims(5, 2, 3, 2), new int[][] {{4, 6}}},
        {"several widths", new VbLoraDims(6, 2, 2, 3), new int[][] {{4, 6}, {6, 2}, {2, 2}, {8, 4}}},
        {"r = 1", new VbLoraDims(4, 3, 1, 2), new int[][] {{6, 3}, {3, 9}}},
        {"b = 1", new VbLoraDims(4, 1, 2, 2), new int[][] {{3, 2}, {2, 5}}},
        {"k = 1", new VbLoraDims(5, 2, 2, 1), new int[][] {{4, 2}, {2, 6}}},
        {"k = h", new VbLoraDims(3, 2, 2, 3), new int[][] {{2, 4}, {6, 2}}},
        {"BERT-like ratios", new VbLoraDims(7, 4, 2, 2), new int[][] {{8, 8}, {8, 32}, {32, 8}}},
  };

  static Stream<Arguments> cases() {
    List<Arguments> cases = new ArrayList<>();
    for (DType dtype : DType.values()) {
      for (Object[] row : TABLE) {
        cases.add(Arguments.of(row[0] + ", fused, " + dtype, FUSED, dtype, row[1], row[2]));
        cases.add(Arguments.of(row[0] + ", per-layer, " + dtype, PER_LAYER, dtype, row[1], row[2]));
      }
    }
    return cases.stream();
  }

  static Stream<Arguments> packedCases() {
    List<Arguments> cases = new ArrayList<>();
    for (DType dtype : DType.values()) {
      for (Object[] row : TABLE) {
        cases.add(Arguments.of(row[0] + ", " + dtype, dtype, row[1], row[2]));
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  <T extends TNumber> void composesPeftFactorsForEveryLayer(String name, Composition composition, DType dtype,
      VbLoraDims dims, int[][] layerSizes) {
    Problem p = Problem.random(dims, layerSizes, 21);
    try (GraphRunner g = new GraphRunner()) {
      Class<T> type = dtype.type();
      List<LowRankFactors<T>> factors = composition.compose(g.tf(), p.bankInput(g, type), p.logitsInputs(g, type), dims);
      assertEquals(layerSizes.length, factors.size());
      for (int i = 0; i < layerSizes.length; i++) {
        ReferenceVbLora.Factors expected = p.reference(i);
        LowRankFactors<T> f = factors.get(i);
        assertArrayEquals(new long[] {expected.in(), dims.rank()}, GraphRunner.staticShape(f.down()), "down shape");
        assertArrayEquals(new long[] {dims.rank(), expected.out()}, GraphRunner.staticShape(f.up()), "up shape");
        List<double[]> values = g.run(List.of(f.down(), f.up()));
        assertClose(expected.down(), values.get(0), dtype.tolerance, "down of layer " + i);
        assertClose(expected.up(), values.get(1), dtype.tolerance, "up of layer " + i);
      }
    }
  }

  /** Logits packed in plain Java as a trainer keeps them compose, layer by layer, to each layer's own factors. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("packedCases")
  <T extends TNumber> void packedLogitsComposeEveryLayerAsItsOwnLogitsDo(String name, DType dtype, VbLoraDims dims,
      int[][] layerSizes) {
    Problem p = Problem.random(dims, layerSizes, 23);
    try (GraphRunner g = new GraphRunner()) {
      Class<T> type = dtype.type();
      Operand<T> packedA = g.input(type, dims.packedLogitsAShape(p.layers()), p.packedA());
      Operand<T> packedB = g.input(type, dims.packedLogitsBShape(p.layers()), p.packedB());
      List<LowRankFactors<T>> factors = FusedFactorComposition.composePacked(g.tf(), p.bankInput(g, type), packedA,
          packedB, p.layers(), dims);
      assertEquals(layerSizes.length, factors.size());
      for (int i = 0; i < layerSizes.length; i++) {
        ReferenceVbLora.Factors expected = p.reference(i);
        List<double[]> values = g.run(List.of(factors.get(i).down(), factors.get(i).up()));
        assertClose(expected.down(), values.get(0), dtype.tolerance, "down of layer " + i);
        assertClose(expected.up(), values.get(1), dtype.tolerance, "up of layer " + i);
      }
    }
  }

  @Test
  void rejectsPackedLogitsThatDoNotAddUpToTheLayers() {
    VbLoraDims dims = new VbLoraDims(5, 2, 3, 2);
    List<LayerShape> layers = List.of(new LayerShape("q", 4, 6), new LayerShape("v", 2, 4));
    try (GraphRunner g = new GraphRunner()) {
      Operand<TFloat64> bank = g.input(TFloat64.class, dims.bankShape(), new double[10]);
      Operand<TFloat64> a = g.input(TFloat64.class, new long[] {3, 3, 5}, new double[45]);
      Operand<TFloat64> b = g.input(TFloat64.class, new long[] {5, 3, 5}, new double[75]);
      Operand<TFloat64> onlyFirstA = g.input(TFloat64.class, new long[] {3, 2, 5}, new double[30]);
      FusedFactorComposition.composePacked(g.tf(), bank, a, b, layers, dims);  // the right shapes pass
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> FusedFactorComposition.composePacked(g.tf(), bank, onlyFirstA, b, layers, dims));
      assertTrue(e.getMessage().contains("packed logits_A") && e.getMessage().contains("2 layers")
          && e.getMessage().contains("[3, 2, 5]") && e.getMessage().contains("[3, 3, 5]"), e.getMessage());
      IllegalArgumentException swapped = assertThrows(IllegalArgumentException.class,
          () -> FusedFactorComposition.composePacked(g.tf(), bank, a, a, layers, dims));
      assertTrue(swapped.getMessage().contains("packed logits_B"), swapped.getMessage());
      assertThrows(IllegalArgumentException.class,
          () -> FusedFactorComposition.composePacked(g.tf(), bank, a, b, List.of(), dims));
    }
  }

  @Test
  void rejectsAKernelDimensionThatIsNotAMultipleOfTheVectorLength() {
    VbLoraDims dims = new VbLoraDims(4, 256, 4, 2);
    LayerShape odd = new LayerShape("encoder/layer_0/ffn/kernel", 770, 768);
    try (GraphRunner g = new GraphRunner()) {
      Operand<TFloat64> bank = g.input(TFloat64.class, dims.bankShape(), new double[4 * 256]);
      Operand<TFloat64> logits = g.input(TFloat64.class, new long[] {4, 3, 4}, new double[48]);
      for (Composition c : List.of(FUSED, PER_LAYER)) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> c.compose(g.tf(), bank, List.of(new LayerLogits<>(odd, logits, logits)), dims));
        assertTrue(e.getMessage().startsWith(
            "in_features 770 of layer encoder/layer_0/ffn/kernel is not divisible by vector_length 256"), e.getMessage());
      }
    }
  }

  @Test
  void rejectsLogitsOfTheWrongShapeNamingTheLayerAndSizes() {
    VbLoraDims dims = new VbLoraDims(5, 2, 3, 2);
    LayerShape layer = new LayerShape("q", 4, 6);
    try (GraphRunner g = new GraphRunner()) {
      Operand<TFloat64> bank = g.input(TFloat64.class, dims.bankShape(), new double[10]);
      Operand<TFloat64> a = g.input(TFloat64.class, new long[] {3, 2, 5}, new double[30]);
      Operand<TFloat64> swapped = g.input(TFloat64.class, new long[] {3, 3, 5}, new double[45]);  // B must be [3, 3, 5]
      Operand<TFloat64> wrongB = g.input(TFloat64.class, new long[] {3, 2, 5}, new double[30]);
      for (Composition c : List.of(FUSED, PER_LAYER)) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> c.compose(g.tf(), bank, List.of(new LayerLogits<>(layer, a, wrongB)), dims));
        assertTrue(e.getMessage().contains("logits_B of layer q") && e.getMessage().contains("[3, 2, 5]")
            && e.getMessage().contains("[3, 3, 5]"), e.getMessage());
        IllegalArgumentException wrongBank = assertThrows(IllegalArgumentException.class, () -> c.compose(g.tf(),
            a, List.of(new LayerLogits<>(layer, a, swapped)), dims));
        assertTrue(wrongBank.getMessage().contains("vector bank") && wrongBank.getMessage().contains("[5, 2]"),
            wrongBank.getMessage());
        assertThrows(IllegalArgumentException.class, () -> c.compose(g.tf(), bank, List.<LayerLogits<TFloat64>>of(),
            dims));
      }
    }
  }

  /** Random bank and logits for a set of layers, fed as graph inputs and given to the reference. */
  record Problem(VbLoraDims dims, List<LayerShape> layers, double[] bank, List<double[]> logitsA,
      List<double[]> logitsB) {

    static Problem random(VbLoraDims dims, int[][] sizes, long seed) {
      List<LayerShape> layers = new ArrayList<>();
      List<double[]> a = new ArrayList<>();
      List<double[]> b = new ArrayList<>();
      for (int i = 0; i < sizes.length; i++) {
        LayerShape s = new LayerShape("layer_" + i, sizes[i][0], sizes[i][1]);
        layers.add(s);
        a.add(TestArrays.uniform(seed + 2 * i + 1, (int) TestArrays.size(dims.logitsAShape(s)), -2, 2));
        b.add(TestArrays.uniform(seed + 2 * i + 2, (int) TestArrays.size(dims.logitsBShape(s)), -2, 2));
      }
      return new Problem(dims, layers, TestArrays.uniform(seed, dims.numVectors() * dims.vectorLength(), -1, 1), a, b);
    }

    <T extends TNumber> Operand<T> bankInput(GraphRunner g, Class<T> type) {
      return g.input(type, dims.bankShape(), bank);
    }

    <T extends TNumber> List<LayerLogits<T>> logitsInputs(GraphRunner g, Class<T> type) {
      List<LayerLogits<T>> inputs = new ArrayList<>();
      for (int i = 0; i < layers.size(); i++) {
        LayerShape s = layers.get(i);
        inputs.add(new LayerLogits<>(s, g.input(type, dims.logitsAShape(s), logitsA.get(i)),
            g.input(type, dims.logitsBShape(s), logitsB.get(i))));
      }
      return inputs;
    }

    /** Every layer's logits_A [r, in/b, h] side by side along axis 1: [r, M, h]. */
    double[] packedA() {
      int h = dims.numVectors();
      List<double[]> rows = new ArrayList<>();
      for (int rr = 0; rr < dims.rank(); rr++) {
        for (int i = 0; i < layers.size(); i++) {
          int blocks = layers.get(i).inFeatures() / dims.vectorLength();
          double[] a = logitsA.get(i);
          rows.add(java.util.Arrays.copyOfRange(a, rr * blocks * h, (rr + 1) * blocks * h));
        }
      }
      return joined(rows);
    }

    /** Every layer's logits_B [out/b, r, h] one after the other along axis 0: [O, r, h]. */
    double[] packedB() {
      return joined(logitsB);
    }

    private static double[] joined(List<double[]> parts) {
      return parts.stream().flatMapToDouble(java.util.Arrays::stream).toArray();
    }

    ReferenceVbLora.Factors reference(int i) {
      LayerShape s = layers.get(i);
      return ReferenceVbLora.compose(s.inFeatures(), s.outFeatures(), dims.rank(), dims.numVectors(),
          dims.vectorLength(), dims.topk(), logitsA.get(i), logitsB.get(i), bank);
    }
  }
}
