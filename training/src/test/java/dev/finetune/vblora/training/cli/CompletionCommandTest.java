package dev.finetune.vblora.training.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.training.testing.CliRun;
import org.junit.jupiter.api.Test;

/** {@code vblora completion}: a bash script that knows every command, its options and their fixed values. */
class CompletionCommandTest {
  @Test
  void theScriptCompletesCommandsOptionsAndChoices() {
    CliRun run = CliRun.of("completion");
    assertEquals(0, run.status(), run.toString());
    String script = run.out();
    assertTrue(script.contains("complete -F"), "a bash completion function");
    for (Command command : Main.commands()) {
      assertTrue(script.contains(command.name()), command.name());
    }
    assertTrue(script.contains("--lr-bank") && script.contains("--save-only-topk-weights"), "train's options");
    assertTrue(script.contains("vblora lora") || script.contains("vblora\" \"lora"), "--method's choices");
  }

  @Test
  void withJsonTheScriptIsOneDocument() {
    CliRun run = CliRun.of("completion", "--json");
    assertEquals(0, run.status(), run.toString());
    assertEquals(CliRun.of("completion").out(), Json.getString(Json.parseObject(run.out()), "script"));
  }
}
