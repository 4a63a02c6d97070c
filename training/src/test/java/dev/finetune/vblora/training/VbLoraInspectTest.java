package dev.finetune.vblora.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.training.inspect.Inspection;
import dev.finetune.vblora.training.testing.Bert;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** {@link VbLora#inspect}: what a run of a config would adapt, without training (BERT-base, read only). */
class VbLoraInspectTest {
  private static TrainConfig.Builder onBert() {
    return TrainConfig.builder().model(Bert.folder().toString()).out(Path.of("not-written"));
  }

  @Test
  void theDefaultsPlanVbLoraOnQueryAndValueOfEveryLayerAsTheRunWould() {
    TrainConfig config = onBert().build();
    Inspection inspection = VbLora.inspect(config);
    assertEquals(24, inspection.selected().size(), "bert-qv: 12 layers x query, value");
    // PEFT's defaults: a bank of 256 vectors of 256; per 768x768 kernel, A and B of rank 4 cut into 768 / 256
    // sub-vectors per rank row, each with 256 logits.
    long bank = 256L * 256;
    long logitsPerKernel = 2L * 4 * (768 / 256) * 256;
    assertEquals(bank + 24 * logitsPerKernel, inspection.plan().orElseThrow().trainableParams());
  }

  @Test
  void aVectorLengthThatDoesNotDivideIsMarkedNotThrown() {
    Inspection inspection = VbLora.inspect(onBert().vectorLength(100).build());
    assertTrue(inspection.plan().isEmpty(), "no selected kernel fits");
    assertTrue(inspection.misfits().values().stream().allMatch(m -> m.contains("vector_length 100")),
        inspection.misfits().toString());
  }
}
