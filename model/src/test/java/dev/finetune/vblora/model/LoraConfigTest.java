package dev.finetune.vblora.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class LoraConfigTest {
  @Test
  void defaultsShareRankAndSeedWithVbLoraBecauseTheCommandLineHasOneOfEach() {
    VbLoraConfig vbLora = VbLoraConfig.builder().build();
    LoraConfig lora = LoraConfig.defaults();
    assertEquals(vbLora.rank(), lora.rank());
    assertEquals(vbLora.seed(), lora.seed());
  }

  @Test
  void defaultsAreTheDocumentedOnes() {
    assertEquals(new LoraConfig(4, 16, 0.0, 42), LoraConfig.defaults());
  }

  @Test
  void eachWitherChangesOnlyItsValue() {
    LoraConfig base = new LoraConfig(4, 16, 0.0, 42);
    assertEquals(new LoraConfig(8, 16, 0.0, 42), base.withRank(8));
    assertEquals(new LoraConfig(4, 32, 0.0, 42), base.withAlpha(32));
    assertEquals(new LoraConfig(4, 16, 0.1, 42), base.withDropout(0.1));
    assertEquals(new LoraConfig(4, 16, 0.0, 7), base.withSeed(7));
  }
}
