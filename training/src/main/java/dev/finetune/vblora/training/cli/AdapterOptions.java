package dev.finetune.vblora.training.cli;

import dev.finetune.vblora.model.AdapterPlan;
import dev.finetune.vblora.model.Kernel;
import dev.finetune.vblora.model.LoraConfig;
import dev.finetune.vblora.model.LoraPlan;
import dev.finetune.vblora.model.TargetSelection;
import dev.finetune.vblora.model.VbLoraConfig;
import dev.finetune.vblora.model.VbLoraPlan;
import java.util.List;
import java.util.function.Function;

/**
 * Target selection and adapter hyperparameters, shared by inspect, train and bench. Names follow PEFT's
 * VBLoRAConfig / LoraConfig in kebab case (num_vectors is --num-vectors), as docs/cli.md promises.
 */
final class AdapterOptions {
  private AdapterOptions() {}

  static List<OptionSpec> selectionSpecs() {
    return List.of(
        OptionSpec.optional("targets", "SEL", "preset (bert-qv, all-linear), names/suffixes (a,b) or a regex",
            "bert-qv"),
        OptionSpec.optional("exclude", "SEL", "kernels to leave out (names/suffixes or regex)", null),
        OptionSpec.optional("layers", "RANGES", "only these layer indices, e.g. 0-5,11", null));
  }

  static List<OptionSpec> adapterSpecs() {
    return List.of(
        OptionSpec.optional("method", "vblora|lora", "adapter method", "vblora"),
        OptionSpec.optional("rank", "R", "rank r of every update", "4"),
        OptionSpec.optional("num-vectors", "H", "VB-LoRA: vectors in the shared bank", "256"),
        OptionSpec.optional("vector-length", "B", "VB-LoRA: length of each bank vector", "256"),
        OptionSpec.optional("topk", "K", "VB-LoRA: bank vectors mixed per sub-vector", "2"),
        OptionSpec.optional("save-only-topk-weights", "true|false",
            "VB-LoRA: store top-k indices and weights instead of full logits", "true"),
        OptionSpec.optional("init-vector-bank-bound", "X", "VB-LoRA: bank init U(-X, X)", "0.02"),
        OptionSpec.optional("init-logits-std", "X", "VB-LoRA: logits init N(0, X)", "0.1"),
        OptionSpec.optional("vblora-dropout", "P", "VB-LoRA: dropout on the adapter input", "0"),
        OptionSpec.optional("lora-alpha", "A", "LoRA: scaling alpha / r", "16"),
        OptionSpec.optional("lora-dropout", "P", "LoRA: dropout on the adapter input", "0"),
        OptionSpec.optional("seed", "N", "seed of the adapter init (and of training)", "42"));
  }

  static TargetSelection selection(ParsedArgs args) {
    return TargetSelection.parse(args.stringOrDefault("targets"), args.string("exclude").orElse(null),
        args.string("layers").orElse(null));
  }

  static String method(ParsedArgs args) {
    String method = args.stringOrDefault("method");
    if (!method.equals("vblora") && !method.equals("lora")) {
      throw new UsageError("--method must be vblora or lora, got '" + method + "'");
    }
    return method;
  }

  static VbLoraConfig vbLora(ParsedArgs args) {
    return VbLoraConfig.builder()
        .rank(args.integerOrDefault("rank"))
        .numVectors(args.integerOrDefault("num-vectors"))
        .vectorLength(args.integerOrDefault("vector-length"))
        .topk(args.integerOrDefault("topk"))
        .saveOnlyTopkWeights(args.bool("save-only-topk-weights", true))
        .initVectorBankBound(args.numberOrDefault("init-vector-bank-bound"))
        .initLogitsStd(args.numberOrDefault("init-logits-std"))
        .dropout(args.numberOrDefault("vblora-dropout"))
        .seed(args.integerOrDefault("seed"))
        .build();
  }

  static LoraConfig lora(ParsedArgs args) {
    return new LoraConfig(args.integerOrDefault("rank"), args.numberOrDefault("lora-alpha"),
        args.numberOrDefault("lora-dropout"), args.integerOrDefault("seed"));
  }

  /** Builds the plan of the chosen method from the selected kernels. */
  static Function<List<Kernel>, AdapterPlan> planner(ParsedArgs args) {
    if (method(args).equals("lora")) {
      LoraConfig config = lora(args);
      return kernels -> LoraPlan.of(kernels, config);
    }
    VbLoraConfig config = vbLora(args);
    return kernels -> VbLoraPlan.of(kernels, config);
  }
}
