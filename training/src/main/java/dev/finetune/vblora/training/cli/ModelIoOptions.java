package dev.finetune.vblora.training.cli;

import dev.finetune.vblora.savedmodel.SavedModelReader;
import dev.finetune.vblora.training.TrainConfig;
import dev.finetune.vblora.savedmodel.io.InputRole;
import dev.finetune.vblora.savedmodel.io.LossKind;
import dev.finetune.vblora.savedmodel.io.ModelIo;
import dev.finetune.vblora.savedmodel.io.Pooling;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * {@code --tag --input ROLE=NAME --features NAME --pooling --output KEY --loss}: how train and eval feed and
 * read the model (see {@link ModelIo}); everything left out is detected from the signature and the graph.
 */
final class ModelIoOptions {
  static final String MODEL_IO = "Model io";

  private ModelIoOptions() {}

  static List<OptionSpec> specs() {
    return Stream.of(
        OptionSpec.optional("tag", "TAG", "meta graph tag set to load", SavedModelReader.SERVE),
        OptionSpec.repeatable("input", "ROLE=NAME", "the signature input of a role (ids, mask, types), e.g. "
            + "ids=input_13; overrides the detected mapping"),
        OptionSpec.optional("features", "NAME", "a new head on this signature output, or serving-path tensor "
            + "(node:index); default pooled_output / pooler_output when the signature has one", null),
        OptionSpec.optional("pooling", "none|cls|mean", "how the head pools a sequence of --features",
            TrainDefaults.CONFIG.pooling().label()).typed(ValueType.oneOf("none", "cls", "mean")),
        OptionSpec.optional("output", "KEY", "train the model's own signature output (default: its only output, "
            + "when it has no pooled_output)", null),
        OptionSpec.optional("loss", "cross-entropy|binary-cross-entropy|mse", "the loss of the own output "
            + "(default: from the op computing it: softmax/logits, sigmoid, linear)", null)
            .typed(ValueType.oneOf("cross-entropy", "binary-cross-entropy", "mse")))
        .map(o -> o.in(o.name().equals("tag") ? ModelOptions.MODEL : MODEL_IO)).toList();
  }

  /** Eval's: a merged model already has its head, so --features and --pooling do not apply. */
  static List<OptionSpec> evalSpecs() {
    return specs().stream().filter(o -> !o.name().equals("features") && !o.name().equals("pooling"))
        .map(o -> o.name().equals("output") ? o.helped("score the model's own signature output, for a model"
            + " trained that way (default: its only output, when it has no pooled_output)") : o)
        .toList();
  }

  /** Bench's: train's, less --tag, which bench takes among its model options. */
  static List<OptionSpec> benchSpecs() {
    return specs().stream().filter(o -> !o.name().equals("tag")).toList();
  }

  /** The I/O settings of bench ({@link #benchSpecs()}): as train reads them. */
  static ModelIo.Settings benchSettings(ParsedArgs args) {
    return new ModelIo.Settings(roles(args), args.string("features").orElse(null), pooling(args),
        args.string("output").orElse(null), loss(args).orElse(null));
  }

  /** The roles of the repeated --input ROLE=NAME. */
  static Map<String, String> inputs(ParsedArgs args) {
    Map<String, String> roles = new LinkedHashMap<>();
    for (String mapping : args.all("input")) {
      int eq = mapping.indexOf('=');
      if (eq < 1 || eq == mapping.length() - 1) {
        throw new UsageError("--input " + mapping + ": write ROLE=NAME, e.g. --input ids=input_13");
      }
      String role = mapping.substring(0, eq);
      try {
        InputRole.parse(role);
      } catch (IllegalArgumentException e) {
        throw new UsageError("--input " + mapping + ": " + e.getMessage());
      }
      if (roles.put(role, mapping.substring(eq + 1)) != null) {
        throw new UsageError("--input maps the role " + role + " twice");
      }
    }
    return roles;
  }

  static TrainConfig.Builder apply(ParsedArgs args, TrainConfig.Builder b) {
    b.tag(args.stringOrDefault("tag"));
    inputs(args).forEach(b::input);
    args.string("features").ifPresent(b::features);
    b.pooling(pooling(args));
    args.string("output").ifPresent(b::output);
    loss(args).ifPresent(b::loss);
    return b;
  }

  /** The I/O settings of eval ({@link #evalSpecs()}; train's come through TrainConfig). */
  static ModelIo.Settings evalSettings(ParsedArgs args) {
    return new ModelIo.Settings(roles(args), null, Pooling.NONE, args.string("output").orElse(null),
        loss(args).orElse(null));
  }

  /** The repeated --input ROLE=NAME by role. */
  private static Map<InputRole, String> roles(ParsedArgs args) {
    return InputRole.parseAll(inputs(args));
  }

  private static Pooling pooling(ParsedArgs args) {
    try {
      return Pooling.parse(args.stringOrDefault("pooling"));
    } catch (IllegalArgumentException e) {
      throw new UsageError("--pooling: " + e.getMessage());
    }
  }

  private static Optional<LossKind> loss(ParsedArgs args) {
    try {
      return args.string("loss").map(LossKind::parse);
    } catch (IllegalArgumentException e) {
      throw new UsageError("--loss: " + e.getMessage());
    }
  }
}
