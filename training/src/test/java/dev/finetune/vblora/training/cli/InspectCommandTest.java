package dev.finetune.vblora.training.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.ops.testing.SharedFolder;
import dev.finetune.vblora.training.testing.CliRun;
import org.junit.jupiter.api.Test;

/** vblora inspect on a real Keras (TF2 function graph) SavedModel made by others. */
class InspectCommandTest {
  private final String model = SharedFolder.resolve("fixtures/tf2/keras_mha1_encoder").toString();

  @Test
  void listsTheKernelsInsideFunctionsAndPlansASelection() {
    CliRun run = CliRun.of("inspect", "--model", model, "--targets", ".*query.*", "--vector-length", "2",
        "--num-vectors", "4", "--json");
    assertEquals(0, run.status(), run.toString());
    assertTrue(run.out().contains("transformer_encoder_27/multi_head_attention_27/query/kernel"), run.out());
    assertTrue(run.out().contains("\"equation\""), "Einsum kernels report their equation: " + run.out());
  }

  @Test
  void sizesThatDoNotDivideStillShowTheKernelsThenFailNamingTheKernel() {
    CliRun run = CliRun.of("inspect", "--model", model, "--targets", ".*");
    assertEquals(1, run.status(), run.toString());
    assertTrue(run.err().contains("adaptable kernels of signature serving_default (7)"), run.err());
    assertTrue(run.err().contains("dense_81/kernel"), run.err());
    assertTrue(run.err().contains("is not divisible by vector_length 256"), run.err());
  }
}
