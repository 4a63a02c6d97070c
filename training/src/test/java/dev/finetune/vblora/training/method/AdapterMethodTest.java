package dev.finetune.vblora.training.method;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.finetune.vblora.data.error.InvalidSettingException;
import dev.finetune.vblora.model.AdapterPlan;
import dev.finetune.vblora.model.Kernel;
import dev.finetune.vblora.model.KernelUse;
import dev.finetune.vblora.model.LoraConfig;
import dev.finetune.vblora.model.LoraPlan;
import dev.finetune.vblora.model.VbLoraConfig;
import dev.finetune.vblora.model.VbLoraPlan;
import dev.finetune.vblora.training.TrainConfig;
import dev.finetune.vblora.training.optim.GroupHyperparameters;
import dev.finetune.vblora.training.optim.VbLoraGroupSettings;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The adapter method as a type: each method's behaviour comes from its class, found by name or by its plan. */
class AdapterMethodTest {
  private static final List<Kernel> QUERY_AND_VALUE = List.of(kernel("layer_0/attention/self/query/kernel"),
      kernel("layer_0/attention/self/value/kernel"));
  private static final AdapterSettings SETTINGS = new AdapterSettings(
      VbLoraConfig.builder().rank(4).numVectors(8).vectorLength(16).dropout(0.1).build(),
      new LoraConfig(4, 16, 0.05, 42));

  static List<AdapterMethod> methods() {
    return AdapterMethod.ALL;
  }

  @ParameterizedTest
  @MethodSource("methods")
  void aMethodIsFoundByItsNameInAnyCaseAndByThePlansItMakes(AdapterMethod method) {
    assertSame(method, AdapterMethod.parse(method.name()));
    assertSame(method, AdapterMethod.parse(" " + method.name().toUpperCase(java.util.Locale.ROOT)));
    AdapterPlan plan = method.plan(QUERY_AND_VALUE, SETTINGS);
    assertSame(method, AdapterMethod.of(plan));
    assertEquals(QUERY_AND_VALUE, plan.kernels());
  }

  @ParameterizedTest
  @MethodSource("methods")
  void aRunRecordsItsMethodByNameAndReadsItBack(AdapterMethod method) {
    TrainConfig config = TrainConfig.builder().model("m").train(Path.of("t.tsv")).out(Path.of("out"))
        .method(method).build();
    assertEquals(method.name(), config.toJson().get("method"));
    assertSame(method, TrainConfig.fromJson(config.toJson()).method());
  }

  @Test
  void eachMethodPlansItsOwnParametersFromItsOwnSettings() {
    VbLoraPlan vb = (VbLoraPlan) AdapterMethod.VBLORA.plan(QUERY_AND_VALUE, SETTINGS);
    // bank h*b plus per kernel logits of A [r, in/b, h] and B [out/b, r, h]
    assertEquals(8 * 16 + 2 * (4 * (32 / 16) * 8 + (48 / 16) * 4 * 8), vb.trainableParams());
    LoraPlan lora = (LoraPlan) AdapterMethod.LORA.plan(QUERY_AND_VALUE, SETTINGS);
    assertEquals(2 * (32 * 4 + 4 * 48), lora.trainableParams());
    assertEquals(0.1, AdapterMethod.VBLORA.dropout(SETTINGS));
    assertEquals(0.05, AdapterMethod.LORA.dropout(SETTINGS));
  }

  @Test
  void theProgressReportsTheLogitsRateForVbLoraAndTheFactorsRateForLora() {
    VbLoraGroupSettings groups = VbLoraGroupSettings.paperDefaults()
        .withLogits(new GroupHyperparameters(0.02, 0.0));
    GroupHyperparameters factors = new GroupHyperparameters(0.0007, 0.01);
    assertEquals(0.02, AdapterMethod.VBLORA.reportedLearningRate(groups, factors));
    assertEquals(0.0007, AdapterMethod.LORA.reportedLearningRate(groups, factors));
  }

  @Test
  void anUnknownNameIsRefusedNamingTheMethodsThereAre() {
    InvalidSettingException e = assertThrows(InvalidSettingException.class, () -> AdapterMethod.parse("dora"));
    assertEquals("the adapter method must be vblora or lora, got 'dora'", e.getMessage());
    assertEquals(java.util.Optional.of("method"), e.setting());
  }

  /** A [32, 48] kernel applied by one MatMul. */
  private static Kernel kernel(String name) {
    return new Kernel(name, name, List.of(32L, 48L), 32, 48, OptionalInt.of(0), false,
        List.of(new KernelUse("serve/" + name.replace("/kernel", "/MatMul"), "MatMul", 1, false, false, "", "")));
  }
}
