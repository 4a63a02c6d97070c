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
import java.util.stream.Stream;

/**
 * Target selection and adapter hyperparameters, shared by inspect, train and bench. Names follow PEFT's
 * VBLoRAConfig / LoraConfig in kebab case (num_vectors is --num-vectors), as docs/cli.md promises.
 */
final class AdapterOptions {
  static final String SELECTION = "Selection";
  static final String ADAPTER = "Adapter";

  private AdapterOptions() {}

  static List<OptionSpec> selectionSpecs() {
    return List.of(
        OptionSpec.optional("targets", "SEL", "preset (bert-qv, all-linear), names/suffixes (a,b) or a regex",
            TrainDefaults.CONFIG.targets()).in(SELECTION),
        OptionSpec.optional("exclude", "SEL", "kernels to leave out (names/suffixes or regex)", null).in(SELECTION),
        OptionSpec.optional("layers", "RANGES", "only these layer indices, e.g. 0-5,11", null).in(SELECTION));
  }

  /** The defaults shown in --help are those of the domain configs, so they cannot drift apart. */
  static List<OptionSpec> adapterSpecs() {
    VbLoraConfig vb = VbLoraConfig.builder().build();
    LoraConfig lora = LoraConfig.defaults();
    return Stream.of(
        OptionSpec.optional("method", "vblora|lora", "adapter method", TrainDefaults.CONFIG.method())
            .typed(ValueType.oneOf("vblora", "lora")),
        OptionSpec.optional("rank", "R", "rank r of every update", Integer.toString(vb.rank()))
            .typed(ValueType.INTEGER),
        OptionSpec.optional("num-vectors", "H", "VB-LoRA: vectors in the shared bank", Integer.toString(vb.numVectors()))
            .typed(ValueType.INTEGER),
        OptionSpec.optional("vector-length", "B", "VB-LoRA: length of each bank vector",
            Integer.toString(vb.vectorLength())).typed(ValueType.INTEGER),
        OptionSpec.optional("topk", "K", "VB-LoRA: bank vectors mixed per sub-vector", Integer.toString(vb.topk()))
            .typed(ValueType.INTEGER),
        OptionSpec.flag("save-only-topk-weights", "VB-LoRA: store top-k indices and weights instead of full logits",
            vb.saveOnlyTopkWeights()),
        OptionSpec.optional("init-vector-bank-bound", "X", "VB-LoRA: bank init U(-X, X)",
            plain(vb.initVectorBankBound())).typed(ValueType.NUMBER),
        OptionSpec.optional("init-logits-std", "X", "VB-LoRA: logits init N(0, X)", plain(vb.initLogitsStd()))
            .typed(ValueType.NUMBER),
        OptionSpec.optional("vblora-dropout", "P", "VB-LoRA: dropout on the adapter input", plain(vb.dropout()))
            .typed(ValueType.NUMBER),
        OptionSpec.optional("lora-alpha", "A", "LoRA: scaling alpha / r", plain(lora.alpha())).typed(ValueType.NUMBER),
        OptionSpec.optional("lora-dropout", "P", "LoRA: dropout on the adapter input", plain(lora.dropout()))
            .typed(ValueType.NUMBER),
        OptionSpec.optional("seed", "N", "seed of the adapter init (and of training)", Long.toString(vb.seed()))
            .typed(ValueType.INTEGER))
        .map(o -> o.in(ADAPTER)).toList();
  }

  private static String plain(double value) {
    return TrainDefaults.plain(value);
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

  /** The VB-LoRA settings: the options given, VbLoraConfig.builder()'s defaults for the rest. */
  static VbLoraConfig vbLora(ParsedArgs args) {
    VbLoraConfig.Builder b = VbLoraConfig.builder();
    args.integer("rank").ifPresent(b::rank);
    args.integer("num-vectors").ifPresent(b::numVectors);
    args.integer("vector-length").ifPresent(b::vectorLength);
    args.integer("topk").ifPresent(b::topk);
    if (args.has("save-only-topk-weights")) {
      b.saveOnlyTopkWeights(args.bool("save-only-topk-weights", true));
    }
    args.number("init-vector-bank-bound").ifPresent(b::initVectorBankBound);
    args.number("init-logits-std").ifPresent(b::initLogitsStd);
    args.number("vblora-dropout").ifPresent(b::dropout);
    args.integer("seed").ifPresent(b::seed);
    return b.build();
  }

  /** The LoRA settings: the options given, LoraConfig.defaults() for the rest. */
  static LoraConfig lora(ParsedArgs args) {
    LoraConfig config = LoraConfig.defaults();
    config = args.integer("rank").map(config::withRank).orElse(config);
    config = args.number("lora-alpha").map(config::withAlpha).orElse(config);
    config = args.number("lora-dropout").map(config::withDropout).orElse(config);
    return args.integer("seed").map(config::withSeed).orElse(config);
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
