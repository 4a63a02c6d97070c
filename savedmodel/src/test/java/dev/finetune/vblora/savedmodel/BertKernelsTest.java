package dev.finetune.vblora.savedmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.model.Kernel;
import dev.finetune.vblora.model.KernelDiscovery;
import dev.finetune.vblora.model.TargetPattern;
import dev.finetune.vblora.model.TargetSelection;
import dev.finetune.vblora.model.TargetSelector;
import dev.finetune.vblora.model.VbLoraConfig;
import dev.finetune.vblora.model.VbLoraPlan;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Discovery, selection and planning on the real BERT-base SavedModel. */
class BertKernelsTest {
  private static final VbLoraConfig PAPER = VbLoraConfig.builder().numVectors(90).vectorLength(256).rank(4).topk(2)
      .build();
  private static SavedModelInfo bert;
  private static List<Kernel> kernels;

  @BeforeAll
  static void discover() {
    bert = SavedModelReader.read(TestModels.bert());
    kernels = KernelDiscovery.discover(bert.metaGraph(), "serving_default");
  }

  /** The 72 encoder kernels and the pooler, named by hand from BERT's architecture. */
  private static List<String> expectedNames() {
    List<String> names = new ArrayList<>();
    for (int layer = 0; layer < 12; layer++) {
      for (String k : List.of("attention/self/query", "attention/self/key", "attention/self/value",
          "attention/output/dense", "intermediate/dense", "output/dense")) {
        names.add("module/bert/encoder/layer_" + layer + "/" + k + "/kernel");
      }
    }
    names.add("module/bert/pooler/dense/kernel");
    return names;
  }

  @Test
  void findsTheEncoderKernelsAndThePoolerOnTheServingPath() {
    assertEquals(expectedNames(), kernels.stream().map(Kernel::name).collect(Collectors.toList()));
    for (Kernel k : kernels) {
      // Only the serving copy: never module/ (owns the variables) or module_apply_tokenization_info/.
      assertEquals(1, k.uses().size(), k.name());
      assertTrue(k.node().startsWith("module_apply_tokens/bert/"), k.node());
      assertEquals("MatMul", k.op());
      assertEquals("matmul [in,out]", k.layout());
      assertEquals(k.name(), k.variable());
    }
  }

  @Test
  void shapesAgreeWithTheCheckpoint() {
    for (Kernel k : kernels) {
      VariableInfo stored = bert.variable(k.name()).orElseThrow();
      assertEquals(stored.shape(), k.shape(), k.name());
      assertEquals(List.of(k.inFeatures(), k.outFeatures()), stored.shape(), k.name());
    }
    Map<String, Kernel> byName = kernels.stream().collect(Collectors.toMap(Kernel::name, k -> k));
    assertEquals(List.of(768L, 3072L), byName.get("module/bert/encoder/layer_3/intermediate/dense/kernel").shape());
    assertEquals(List.of(3072L, 768L), byName.get("module/bert/encoder/layer_3/output/dense/kernel").shape());
    assertEquals(OptionalInt.of(7), byName.get("module/bert/encoder/layer_7/attention/self/key/kernel").layer());
  }

  @Test
  void thePoolerIsTheOnlyHead() {
    assertEquals(List.of("module/bert/pooler/dense/kernel"),
        kernels.stream().filter(Kernel::head).map(Kernel::name).collect(Collectors.toList()));
  }

  @Test
  void bertQvSelects24AndThePaperConfigStores23904() {
    List<Kernel> qv = TargetSelector.select(kernels, TargetSelection.of(TargetPattern.preset("bert-qv")));
    assertEquals(24, qv.size());
    assertTrue(qv.stream().allMatch(k -> k.name().endsWith("/query/kernel") || k.name().endsWith("/value/kernel")));
    VbLoraPlan plan = VbLoraPlan.of(qv, PAPER);
    assertEquals(23_904, plan.storedParams());
    assertEquals(90 * 256 + 24 * 24 * 90, plan.trainableParams());
  }

  @Test
  void allLinearSelectsEverythingButThePooler() {
    List<Kernel> all = TargetSelector.select(kernels, TargetSelection.of(TargetPattern.preset("all-linear")));
    assertEquals(72, all.size());
    assertFalse(all.stream().anyMatch(k -> k.name().contains("pooler")));
  }

  @Test
  void vectorLength100DoesNotDivide768() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> VbLoraPlan.of(kernels.subList(0, 1), PAPER.toBuilder().vectorLength(100).build()));
    assertTrue(e.getMessage().contains("in_features 768 of kernel "
        + "module/bert/encoder/layer_0/attention/self/query/kernel is not divisible by vector_length 100"),
        e.getMessage());
  }

  @Test
  void aSelectionMatchingNothingListsCandidates() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TargetSelector.select(kernels, TargetSelection.parse("q_proj,v_proj", null, null)));
    assertTrue(e.getMessage().contains("targets q_proj,v_proj selected no kernel among 73 kernels; candidates: "),
        e.getMessage());
  }
}
