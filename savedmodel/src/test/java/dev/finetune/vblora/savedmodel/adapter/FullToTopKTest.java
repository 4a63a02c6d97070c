package dev.finetune.vblora.savedmodel.adapter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * qv_full and qv_topk are the same PEFT model saved with full logits and with save_only_topk_weights (their
 * expected deltas are identical), so cutting qv_full to top-k here must land on PEFT's own qv_topk.
 */
class FullToTopKTest {
  @TempDir
  Path temp;

  @Test
  void cuttingFullLogitsToTopKKeepsTheDeltas() throws IOException {
    VbLoraAdapter full = VbLoraAdapter.read(PeftFixtures.folder("qv_full"));
    assertFalse(full.holdsOnlyTopK());
    VbLoraAdapter topK = full.toTopK();
    assertTrue(topK.holdsOnlyTopK());
    assertTrue(topK.config().saveOnlyTopkWeights());
    for (String path : full.modulePaths()) {
      float[] reference = PeftFixtures.flatten(full.deltaWeights(path).pytorchWeight());
      double error = PeftFixtures.relativeError(topK.deltaWeights(path).pytorchWeight(), reference);
      assertTrue(error <= 1e-6, path + ": relative error " + error);
    }
  }

  @Test
  void cutMatchesPeftsOwnTopKFile() throws IOException {
    VbLoraAdapter ours = VbLoraAdapter.read(PeftFixtures.folder("qv_full")).toTopK();
    VbLoraAdapter peft = VbLoraAdapter.read(PeftFixtures.folder("qv_topk"));
    assertEquals(peft.modulePaths(), ours.modulePaths());
    for (String path : peft.modulePaths()) {
      TopKLogits[] oursAb = factors(ours.module(path));
      TopKLogits[] peftAb = factors(peft.module(path));
      for (int f = 0; f < 2; f++) {
        assertArrayEquals(peftAb[f].indices(), oursAb[f].indices(), path + " indices");
        // PEFT's float32 softmax and our double one differ by an ulp or two
        assertArrayEquals(peftAb[f].weights(), oursAb[f].weights(), 2.5e-7f, path + " weights");
      }
    }
  }

  @Test
  void writtenTopKFileHasPeftsKeysDtypesAndShapes() throws IOException {
    VbLoraAdapter cut = VbLoraAdapter.read(PeftFixtures.folder("qv_full")).toTopK();
    cut.write(temp.resolve("cut"), false);
    SafetensorsHeader ours = SafetensorsReader.readHeader(temp.resolve("cut").resolve(AdapterFolder.WEIGHTS_FILE));
    SafetensorsHeader peft = SafetensorsReader.readHeader(
        PeftFixtures.folder("qv_topk").resolve(AdapterFolder.WEIGHTS_FILE));
    assertEquals(peft, ours);
  }

  @Test
  void aTopKAdapterCannotBeWrittenWithFullLogits() throws IOException {
    VbLoraAdapter topK = VbLoraAdapter.read(PeftFixtures.folder("qv_topk"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> topK.withConfig(topK.config().withSaveOnlyTopkWeights(false)));
    assertTrue(e.getMessage().contains("full logits cannot be recovered"), e.getMessage());
  }

  private static TopKLogits[] factors(VbLoraModule module) {
    return new TopKLogits[] {(TopKLogits) module.logitsA(), (TopKLogits) module.logitsB()};
  }
}
