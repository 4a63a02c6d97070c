package dev.finetune.vblora.training.testing;

import dev.finetune.vblora.savedmodel.adapter.FullLogits;
import dev.finetune.vblora.savedmodel.adapter.PeftVbLoraConfig;
import dev.finetune.vblora.savedmodel.adapter.ToolMetadata;
import dev.finetune.vblora.savedmodel.adapter.VbLoraAdapter;
import dev.finetune.vblora.savedmodel.adapter.VbLoraModule;
import java.util.List;
import java.util.Random;

/**
 * A small VB-LoRA adapter of random values (h=4, b=256, r=1, k=2) on one module, for tests that need an adapter
 * file to merge or refuse rather than a trained one: bank values N(0, 0.02), logits N(0, 1), drawn in that order.
 */
public final class RandomVbLoraAdapter {
  private RandomVbLoraAdapter() {}

  /**
   * @param module the module's PEFT name; its last dot-separated part is the config's target module
   * @param inTiles sub-vectors along the kernel's input side (A's logits) and {@code outTiles} along its output
   *     side (B's), so the kernel is (256 inTiles) x (256 outTiles)
   * @param metadata vblora's record in the config, or null for a config as PEFT writes it
   */
  public static VbLoraAdapter of(String module, int inTiles, int outTiles, Random random, ToolMetadata metadata) {
    float[][] bank = new float[4][256];
    for (float[] row : bank) {
      for (int i = 0; i < row.length; i++) {
        row[i] = (float) random.nextGaussian() * 0.02f;
      }
    }
    PeftVbLoraConfig.Builder config = PeftVbLoraConfig.builder().r(1).numVectors(4).vectorLength(256).topk(2)
        .targetModules(List.of(module.substring(module.lastIndexOf('.') + 1)));
    if (metadata != null) {
      config.toolMetadata(metadata);
    }
    VbLoraModule m = new VbLoraModule(module, new FullLogits(1, inTiles, 4, gaussians(random, inTiles * 4)),
        new FullLogits(outTiles, 1, 4, gaussians(random, outTiles * 4)));
    return VbLoraAdapter.of(config.build(), bank, List.of(m));
  }

  private static float[] gaussians(Random random, int n) {
    float[] values = new float[n];
    for (int i = 0; i < n; i++) {
      values[i] = (float) random.nextGaussian();
    }
    return values;
  }
}
