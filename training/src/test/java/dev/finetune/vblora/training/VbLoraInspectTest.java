package dev.finetune.vblora.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.training.inspect.Inspection;
import dev.finetune.vblora.training.testing.Bert;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@link VbLora#inspect}: what a run of a config would adapt, without training (BERT-base, read only). */
class VbLoraInspectTest {
  private static TrainConfig.Builder onBert() {
    return TrainConfig.builder().model(Bert.folder().toString());
  }

  @Test
  void theDefaultsPlanVbLoraOnQueryAndValueOfEveryLayerAsTheRunWould() {
    TrainConfig config = onBert().out(Path.of("not-written")).build();
    Inspection inspection = VbLora.inspect(config);
    assertEquals(24, inspection.selected().size(), "bert-qv: 12 layers x query, value");
    // PEFT's defaults: a bank of 256 vectors of 256; per 768x768 kernel, A and B of rank 4 cut into 768 / 256
    // sub-vectors per rank row, each with 256 logits.
    long bank = 256L * 256;
    long logitsPerKernel = 2L * 4 * (768 / 256) * 256;
    assertEquals(bank + 24 * logitsPerKernel, inspection.plan().orElseThrow().trainableParams());
  }

  @Test
  void settingsWithoutAnOutputFolderOrDataAreEnoughToInspect() {
    TrainConfig.Builder settings = onBert().targets("all-linear").layers("0-1");
    Inspection inspection = VbLora.inspect(settings);
    assertEquals(12, inspection.selected().size(), "all-linear: 2 layers x the six linear kernels");
    // The builder is the caller's: inspecting must not have given it an output folder.
    VbLoraException noOut = assertThrows(VbLoraException.class, settings::build);
    assertEquals(Optional.of("out"), noOut.setting());
  }

  @Test
  void aVectorLengthThatDoesNotDivideIsMarkedNotThrown() {
    Inspection inspection = VbLora.inspect(onBert().vectorLength(100));
    assertTrue(inspection.plan().isEmpty(), "no selected kernel fits");
    assertTrue(inspection.misfits().values().stream().allMatch(m -> m.contains("vector_length 100")),
        inspection.misfits().toString());
  }
}
