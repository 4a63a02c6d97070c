package dev.finetune.vblora.training.cli;

import dev.finetune.vblora.data.io.AtomicFile;
import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.model.AdapterPlan;
import dev.finetune.vblora.model.LoraConfig;
import dev.finetune.vblora.savedmodel.SavedModelInfo;
import dev.finetune.vblora.training.RunPlanner;
import dev.finetune.vblora.training.StepLaunch;
import dev.finetune.vblora.training.TrainingDefaults;
import dev.finetune.vblora.training.bench.BenchMethod;
import dev.finetune.vblora.training.bench.BenchMode;
import dev.finetune.vblora.training.bench.BenchReport;
import dev.finetune.vblora.training.bench.BenchSettings;
import dev.finetune.vblora.training.bench.Benchmark;
import dev.finetune.vblora.training.bench.XlaComparison;
import dev.finetune.vblora.training.bench.XlaNumericsCheck;
import dev.finetune.vblora.training.device.Device;
import dev.finetune.vblora.training.device.DeviceOptions;
import dev.finetune.vblora.training.device.DeviceProbe;
import dev.finetune.vblora.training.device.Precision;
import dev.finetune.vblora.training.device.StepProfile;
import dev.finetune.vblora.training.device.XlaCpuFlag;
import dev.finetune.vblora.training.method.AdapterMethod;
import dev.finetune.vblora.training.method.AdapterSettings;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * {@code vblora bench}: step times of training, forward passes and merged inference on synthetic inputs, every
 * measurement interleaved with the others in one process; {@code --compare-xla} trains with XLA off and on
 * side by side and reports how far the losses drift.
 */
final class BenchCommand implements Command {
  static final String BENCH = "Measurement";

  @Override
  public String name() {
    return "bench";
  }

  @Override
  public String summary() {
    return "time training steps, forward passes and merged-model inference on synthetic batches";
  }

  @Override
  public List<OptionSpec> options() {
    List<OptionSpec> options = new ArrayList<>(ModelOptions.specs());
    options.addAll(ModelIoOptions.benchSpecs());
    options.addAll(AdapterOptions.selectionSpecs());
    options.add(OptionSpec.optional("method", "M[,M...]", AdapterMethod.names(", ") + " or none (the untouched"
        + " model); a list measures each, interleaved", TrainingDefaults.METHOD.name()).in(AdapterOptions.ADAPTER));
    AdapterOptions.adapterSpecs().stream().filter(o -> !o.name().equals("method")).forEach(options::add);
    options.add(OptionSpec.optional("lora-rank", "R", "rank of the LoRA adapter when it differs from --rank "
        + "(e.g. --method vblora,lora --rank 4 --lora-rank 8)", null).typed(ValueType.INTEGER)
        .in(AdapterOptions.ADAPTER));
    options.add(OptionSpec.optional("mode", "train|forward|merged|all", "what to time: the training step, the "
        + "adapted forward pass, merged-model inference next to the untouched model, or all", "train").in(BENCH));
    options.add(TrainCommand.integer("batch-size", "examples per step", 8).in(BENCH));
    options.add(TrainCommand.integer("max-length", "tokens per example", 128).in(BENCH));
    options.add(TrainCommand.integer("steps", "timed steps per measurement (training steps with --compare-xla)", 10)
        .in(BENCH));
    options.add(TrainCommand.integer("warmup", "untimed steps per measurement first", 3).in(BENCH));
    options.addAll(SessionOptions.specs());
    options.add(SessionOptions.fusedAttentionSpec());
    options.add(SessionOptions.updateFormSpec());
    // The host waits for the device only when it reads a loss; with TF_SYNC_ON_FINISH=0 (./vblora sets it) the
    // steps between are queued without waiting (docs/benchmarks.md: it gained little, so train reads every step).
    options.add(TrainCommand.integer("sync-every", "time training steps in groups of N that read the loss "
        + "(and wait for the device) only at the last; the others are queued without a fetch. Same updates as 1",
        1).in(BENCH));
    options.add(OptionSpec.optional("step-launch", "auto|clustered|whole", "how a staged training step (XLA on) "
        + "is handed to XLA: auto-clustered as TensorFlow does (clustered), or as one XlaLaunch program that updates "
        + "its variables in place (whole). auto: whole on a gpu with XLA on", "auto")
        .typed(ValueType.oneOf("auto", "clustered", "whole")).in(BENCH));
    options.add(OptionSpec.flag("compare-xla", "train --steps steps with XLA off and on side by side (same "
        + "seed and batches) and report the largest relative loss difference").in(BENCH));
    options.add(OptionSpec.flag("profile", "trace one more step of the first measurement (FULL_TRACE) and list "
        + "the 15 op types that took the most time, per device (on a GPU: the kernels' times on its streams)")
        .in(BENCH));
    options.add(OptionSpec.optional("profile-out", "FILE", "with --profile: also write every timed op or kernel "
        + "of the traced step to FILE (tab-separated: device, node, label, start_us, duration_us)", null)
        .typed(ValueType.PATH).in(BENCH));
    options.add(TrainCommand.json("print one JSON document instead of text"));
    return options;
  }

  /** The step launch asked for; null for auto (the device's). */
  private static StepLaunch stepLaunch(ParsedArgs args, DeviceOptions device) {
    String value = args.stringOrDefault("step-launch");
    StepLaunch launch = value.trim().equalsIgnoreCase("auto") ? null : StepLaunch.parse(value);
    if (launch == StepLaunch.WHOLE && !device.xla() && !args.flag("compare-xla")) { // compare-xla runs both
      throw new UsageError("--step-launch whole runs the step staged on the device, which bench does with XLA only;"
          + " add --xla on or leave --step-launch at auto");
    }
    if (launch == StepLaunch.WHOLE && device.precision() == Precision.FP16) {
      throw new UsageError("--step-launch whole is not for --precision fp16, which is Grappler's rewrite of the"
          + " session's graph (the one program's body is not shown to get it); use bf16, or leave --step-launch at"
          + " auto");
    }
    return launch;
  }

  @Override
  public List<String> examples() {
    return List.of("vblora bench --model bert-base-uncased --json",
        "vblora bench --model bert-base-uncased --method vblora,lora,none --mode all --steps 20",
        "vblora bench --model bert-base-uncased --device gpu --batch-size 32 --profile");
  }

  @Override
  public int run(ParsedArgs args, PrintStream out, PrintStream err) {
    DeviceOptions device = SessionOptions.read(args);
    BenchSettings settings = new BenchSettings(args.integerOrDefault("batch-size"),
        args.integerOrDefault("max-length"), args.integerOrDefault("steps"), args.integerOrDefault("warmup"),
        device, args.integerOrDefault("seed"), args.flag("profile"), SessionOptions.updateForm(args).orElse(null),
        args.integerOrDefault("sync-every"), stepLaunch(args, device), ModelIoOptions.benchSettings(args));
    Optional<Path> profileOut = args.path("profile-out");
    if (profileOut.isPresent() && !settings.profile()) {
      throw new UsageError("--profile-out writes the traced step of --profile; add --profile");
    }
    Set<BenchMode> modes = modes(args);
    List<String> labels = methodLabels(args);
    DeviceProbe.requireAvailable(device); // before the model is read: a missing GPU fails in a second
    if (device.device() == Device.CPU && device.xla() && !XlaCpuFlag.enabled()) {
      err.println("vblora bench: warning: " + XlaCpuFlag.hint());
    }
    SavedModelInfo model = ModelOptions.read(args, err);
    String signature = ModelOptions.signature(args);
    List<BenchMethod> methods = new ArrayList<>();
    for (String label : labels) {
      methods.add(label.equals(BenchMethod.NONE) ? BenchMethod.none() : BenchMethod.of(label,
          plan(args, model, signature, AdapterMethod.parse(label))));
    }
    Consumer<String> progress = line -> err.println("vblora bench: " + line);
    if (args.flag("compare-xla")) {
      BenchMethod method = methods.stream().filter(m -> !m.untouched()).findFirst().orElseThrow(() ->
          new UsageError("--compare-xla trains an adapter: use --method vblora or lora"));
      XlaComparison comparison = XlaNumericsCheck.run(model, signature, method, settings, settings.steps(),
          progress);
      out.println(args.flag("json") ? Json.toIndentedJson(comparison.toJsonObject()) : text(comparison));
      return Cli.OK;
    }
    BenchReport report = Benchmark.run(model, args.string("model").orElseThrow(), signature, methods, modes,
        settings, progress);
    if (device.xla() && !report.xlaEffective()) {
      err.println("vblora bench: warning: XLA was asked for but no XLA cluster ran"
          + (device.device() == Device.CPU ? "; " + XlaCpuFlag.hint() : ""));
    }
    report.measurements().stream().filter(m -> !m.placement().hostComputeOps().isEmpty()).forEach(m ->
        err.println("vblora bench: warning: " + m.name() + " ran " + m.placement().hostComputeOps().size()
            + " ops on the CPU during the GPU step, e.g. " + m.placement().hostComputeOps().get(0)
            + " (all of them under placement.host_compute_op_names with --json)"));
    report.updateForms().forEach((label, forms) -> {
      if (!forms.asAsked()) {
        err.println("vblora bench: warning: " + label + "'s update form: " + forms.describe());
      }
    });
    if (profileOut.isPresent()) {
      writeEntries(report.profile().orElseThrow(), profileOut.get());
    }
    out.println(args.flag("json") ? Json.toIndentedJson(report.toJsonObject()) : report.toText());
    return Cli.OK;
  }

  /** The traced step's entries as a table, written so that the file is complete or absent. */
  private static void writeEntries(StepProfile profile, Path file) {
    StringBuilder table = new StringBuilder("device\tnode\tlabel\tstart_us\tduration_us\n");
    for (StepProfile.Entry e : profile.entries()) {
      table.append(String.format(Locale.ROOT, "%s\t%s\t%s\t%.3f\t%.3f%n", e.device(), e.node(),
          e.label().replace('\t', ' ').replace('\n', ' '), e.startNanos() / 1e3, e.nanos() / 1e3));
    }
    try {
      AtomicFile.writeString(file, table.toString());
    } catch (IOException e) {
      throw new UserError("could not write the profile to " + file + ": " + e.getMessage()
          + "; check that its folder exists and is writable");
    }
  }

  private static Set<BenchMode> modes(ParsedArgs args) {
    try {
      return BenchMode.parseSelection(args.stringOrDefault("mode"));
    } catch (IllegalArgumentException e) {
      throw new UsageError("--" + e.getMessage());
    }
  }

  private static List<String> methodLabels(ParsedArgs args) {
    Set<String> labels = new LinkedHashSet<>();
    for (String part : args.stringOrDefault("method").split(",")) {
      String label = part.trim().toLowerCase(Locale.ROOT);
      if (!label.equals(BenchMethod.NONE)) {
        try {
          label = AdapterMethod.parse(label).name();
        } catch (IllegalArgumentException e) {
          throw new UsageError("--method takes " + AdapterMethod.names(", ") + " or none (or a comma-separated"
              + " list), got '" + part + "'");
        }
      }
      labels.add(label);
    }
    return List.copyOf(labels);
  }

  /** The plan of {@code method}; --lora-rank, when given, is the LoRA adapter's rank. */
  private static AdapterPlan plan(ParsedArgs args, SavedModelInfo model, String signature, AdapterMethod method) {
    AdapterSettings settings = AdapterOptions.settings(args);
    LoraConfig lora = settings.lora().withRank(args.integer("lora-rank").orElse(settings.lora().rank()));
    return RunPlanner.plan(model, signature, AdapterOptions.selection(args), method,
        new AdapterSettings(settings.vbLora(), lora));
  }

  private static String text(XlaComparison c) {
    return String.format(Locale.ROOT, "%s, %d training steps with XLA off and on (same seed and batches):%n"
            + "  max relative loss difference %.3g at step %d, max absolute %.3g%n"
            + "  first loss %.6f (off) / %.6f (on), last loss %.6f (off) / %.6f (on)%n"
            + "  median step %.1f ms (off) / %.1f ms (on); XLA clusters in the XLA session: %d%s",
        c.method(), c.lossesWithout().size(), c.maxRelativeDifference(), c.stepOfMax(), c.maxAbsoluteDifference(),
        c.lossesWithout().get(0), c.lossesWith().get(0), c.lossesWithout().get(c.lossesWithout().size() - 1),
        c.lossesWith().get(c.lossesWith().size() - 1), c.without().medianMs(), c.with().medianMs(),
        c.xlaClusters(), c.xlaClusters() == 0 ? " (XLA did not compile anything: " + XlaCpuFlag.hint() + ")" : "");
  }
}
