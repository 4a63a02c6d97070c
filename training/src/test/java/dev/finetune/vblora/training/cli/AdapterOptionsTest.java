package dev.finetune.vblora.training.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class AdapterOptionsTest {
  @Test
  void helpShowsTheDefaultsThatDocsCliMdPromises() {
    String shown = AdapterOptions.adapterSpecs().stream().map(o -> "--" + o.name() + " " + o.defaultValue())
        .collect(Collectors.joining("  "));
    // docs/cli.md, "adapter" row
    assertEquals("--method vblora  --rank 4  --num-vectors 256  --vector-length 256  --topk 2"
        + "  --save-only-topk-weights true  --init-vector-bank-bound 0.02  --init-logits-std 0.1"
        + "  --vblora-dropout 0  --lora-alpha 16  --lora-dropout 0  --seed 42", shown);
  }
}
