package dev.finetune.vblora.training.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AdapterOptionsTest {
  @Test
  void helpShowsTheDefaultsThatDocsCliMdPromises() {
    Map<String, String> shown = new LinkedHashMap<>();
    AdapterOptions.adapterSpecs().forEach(o -> shown.put(o.name(), o.defaultValue()));
    Map<String, String> documented = new LinkedHashMap<>();
    documented.put("method", "vblora");
    documented.put("rank", "4");
    documented.put("num-vectors", "256");
    documented.put("vector-length", "256");
    documented.put("topk", "2");
    documented.put("save-only-topk-weights", "true");
    documented.put("init-vector-bank-bound", "0.02");
    documented.put("init-logits-std", "0.1");
    documented.put("vblora-dropout", "0");
    documented.put("lora-alpha", "16");
    documented.put("lora-dropout", "0");
    documented.put("seed", "42");
    assertEquals(documented, shown);
  }
}
