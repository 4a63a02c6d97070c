package dev.finetune.vblora.training;

import dev.finetune.vblora.data.error.InvalidSettingException;
import dev.finetune.vblora.data.TextExample;
import dev.finetune.vblora.data.io.OutputLocation;
import dev.finetune.vblora.data.io.OutputOverlap;
import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.savedmodel.ModelResolver;
import dev.finetune.vblora.savedmodel.SavedModelInfo;
import dev.finetune.vblora.savedmodel.SavedModelReader;
import dev.finetune.vblora.savedmodel.adapter.AdapterFolder;
import dev.finetune.vblora.savedmodel.export.AdapterDeltas;
import dev.finetune.vblora.savedmodel.export.MergedModel;
import dev.finetune.vblora.savedmodel.export.MultiAdapterModel;
import dev.finetune.vblora.savedmodel.export.MultiAdapterSession;
import dev.finetune.vblora.training.checkpoint.Checkpoint;
import dev.finetune.vblora.training.checkpoint.CheckpointStore;
import dev.finetune.vblora.training.device.DeviceProbe;
import dev.finetune.vblora.training.export.AdapterExport;
import dev.finetune.vblora.training.export.AdapterManifest;
import dev.finetune.vblora.training.inspect.Inspection;
import dev.finetune.vblora.training.listen.TrainingListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The library's front door: inspect a model, train an adapter, evaluate, merge an adapter into its base model at
 * deploy time, and export a checkpoint's adapter. Settings come from builders whose defaults are the command
 * line's ({@link TrainConfig#builder()}, {@link EvaluationConfig#builder()}, {@link MergeConfig#builder()});
 * results are records; progress goes to {@link TrainingListener}s. Every error about what the caller gave is a
 * {@link VbLoraException} whose message names the setting by its builder name.
 *
 * <pre>{@code
 * TrainingResult run = VbLora.train(TrainConfig.builder()
 *     .model("bert-base-uncased").train(Path.of("train.tsv")).out(Path.of("run")).build());
 * VbLora.merge(MergeConfig.builder().model("bert-base-uncased").adapter(run.adapter())
 *     .out(Path.of("served")).build());
 * }</pre>
 *
 * <p>Environment. A built-in model name ({@code bert-base-uncased}, ...) is read from the local Maven repository
 * (or vblora's cache); the library never downloads: fetch it once with {@code vblora fetch --model NAME} or
 * {@code mvn dependency:get}. TensorFlow reads a few settings from the process environment when it starts, which
 * a running JVM cannot change, so a program sets them before it starts (the {@code vblora} launcher does):
 * <ul>
 *   <li>{@code TF_XLA_FLAGS=--tf_xla_cpu_global_jit}: only for {@code xla(true)} on the CPU; without it the CPU
 *       runs the graph without XLA (same results).
 *   <li>GPU speed, not results: {@code TF_SYNC_ON_FINISH=0} (the host prepares the next step while the GPU runs
 *       this one), {@code XLA_FLAGS=--xla_gpu_enable_triton_gemm=false} (compilations of ~6 s instead of ~43 s;
 *       XLA's command buffers stay on, which makes staged training steps faster) and
 *       {@code TF_XLA_FLAGS=--tf_xla_persistent_cache_directory=DIR --tf_xla_deterministic_cluster_names=true}
 *       (a later run with the same shapes skips compiling).
 *   <li>{@code fusedAttention(true)} (GPU, bf16): {@code XLA_FLAGS=--xla_gpu_enable_cudnn_fmha=true} and no
 *       persistent cache, whose entries TensorFlow 2.18 cannot read back for these kernels; the run refuses to
 *       start otherwise ({@link dev.finetune.vblora.training.device.FusedAttentionFlags}).
 * </ul>
 * What the library can set in-process it sets itself (XLA's compile-on-first-call mode, see
 * {@link dev.finetune.vblora.training.device.XlaCompilationMode}).
 */
public final class VbLora {
  private VbLora() {}

  /**
   * The model's signatures and adaptable kernels, and the adapter {@code config} would train on them (its model,
   * tag, signature, targets, exclude, layers, method and adapter settings; the data and output are not read).
   * A dry run: a kernel whose sizes the adapter cannot take is marked, not an error.
   *
   * @return the report, as text ({@link Inspection#toText}) or as {@code vblora inspect --json}'s document
   * @throws VbLoraException for a model that cannot be read, an unknown signature or a selection that matches
   *     nothing
   */
  public static Inspection inspect(TrainConfig config) {
    SavedModelInfo model = SavedModelReader.read(ModelResolver.fromEnvironment().resolve(config.model()),
        config.tags());
    return Inspection.inspect(model, config.signature(), RunPlanner.selection(config),
        RunPlanner.planner(config));
  }

  /**
   * As {@link #inspect(TrainConfig)}, from settings that need only the model: no output folder, no data, e.g.
   * {@code VbLora.inspect(TrainConfig.builder().model("bert-base-uncased").targets("all-linear"))}. The builder is
   * left as it was.
   *
   * @return the report, as {@link #inspect(TrainConfig)}'s
   * @throws VbLoraException as {@link #inspect(TrainConfig)}, or for a setting out of its range
   */
  public static Inspection inspect(TrainConfig.Builder settings) {
    return inspect(settings.buildForInspection());
  }

  /**
   * Trains, evaluates and exports as {@code vblora train} does: DIR/adapter (PEFT format), DIR/merged (a
   * SavedModel for TF Serving), DIR/metrics.json, DIR/log.jsonl, checkpoints. Device, XLA and precision come from
   * {@code config} alone. See the class comment for the environment variables a GPU run wants, and
   * {@link #trainer} for a run without the log files.
   *
   * @param listeners progress observers (warnings, steps, evaluations, the end); the caller closes them
   * @return where the run's outputs are, its best and final metrics, parameter counts and timings
   * @throws VbLoraException for a setting, model, data or output folder the run cannot use (nothing is written
   *     then), or a loss that stopped being finite ({@link dev.finetune.vblora.training.guard.NonFiniteLossException})
   * @throws IOException when a file cannot be read or written, e.g. a full disk
   */
  public static TrainingResult train(TrainConfig config, TrainingListener... listeners) throws IOException {
    return trainer(config, listeners).run();
  }

  /**
   * As {@link #train(TrainConfig, TrainingListener...)} with the examples given in memory instead of
   * {@code config}'s train and valid files (leave those unset: giving both is refused).
   *
   * @return as {@link #train(TrainConfig, TrainingListener...)}
   * @throws VbLoraException as {@link #train(TrainConfig, TrainingListener...)}
   * @throws IOException as {@link #train(TrainConfig, TrainingListener...)}
   */
  public static TrainingResult train(TrainConfig config, TrainingExamples examples, TrainingListener... listeners)
      throws IOException {
    return trainer(config, listeners).withExamples(examples).run();
  }

  /**
   * The trainer {@link #train(TrainConfig, TrainingListener...)} runs, for a run set up further before
   * {@link Trainer#run()}: e.g. {@code .withDefaultListeners(TrainingListeners.lossGuard())} for a service that
   * keeps no log files (no DIR/log.jsonl, DIR/tensorboard/ or DIR/curves.png), or {@code .withExamples(...)}.
   *
   * @param listeners progress observers (warnings, steps, evaluations, the end); the caller closes them
   * @return a trainer of {@code config}; nothing is read or written until its {@code run()}
   * @throws VbLoraException for a GPU run on a machine or build without a usable GPU
   */
  public static Trainer trainer(TrainConfig config, TrainingListener... listeners) {
    DeviceProbe.requireAvailable(config.deviceOptions());
    return new Trainer(config, List.of(listeners));
  }

  /**
   * Scores a merged model (from {@link #train} or {@link #merge}), or a base model with {@code config}'s adapter
   * merged in for the scoring, on {@code config}'s data file.
   *
   * @return the examples scored, the metrics, the wall time and any warnings (an adapter stacked on a merged model)
   * @throws VbLoraException for a model, adapter or data file that does not fit (a model of feature inputs is
   *     scored by {@code vblora eval}), or an adapter already merged into the model
   * @throws IOException when an adapter file cannot be read (a missing model or data file is a VbLoraException,
   *     SavedModelException and DataFileException)
   */
  public static EvaluationResult evaluate(EvaluationConfig config) throws IOException {
    return ModelEvaluation.run(config, null);
  }

  /**
   * As {@link #evaluate(EvaluationConfig)} on examples given in memory ({@code config}'s data and columns unread).
   *
   * @return as {@link #evaluate(EvaluationConfig)}
   * @throws VbLoraException as {@link #evaluate(EvaluationConfig)}, or for a label outside the model's classes
   * @throws IOException as {@link #evaluate(EvaluationConfig)}
   */
  public static EvaluationResult evaluate(EvaluationConfig config, Iterable<TextExample> examples)
      throws IOException {
    return ModelEvaluation.run(config, TrainingExamples.of(examples).train());
  }

  /**
   * Bakes an adapter into its base model: a merged SavedModel, with the task head when the adapter has one. No
   * training code runs: {@link MergedModel#merge} (the savedmodel module; a service that only merges can call it
   * and depend on nothing of training) computes the deltas in plain Java and adds them to the base kernels.
   * A model that already has this adapter merged in is refused (the update would count twice); another merged
   * model as the base is merged into with a warning in the result (the updates stack).
   *
   * @return the merged model's folder, the kernels merged, whether a head came with it, warnings and the time
   * @throws VbLoraException for an adapter that does not fit the model, one already merged into it, or an output
   *     folder that may not be written or replaced; nothing is written then
   * @throws IOException when the model or adapter cannot be read or the output cannot be written
   */
  public static MergeResult merge(MergeConfig config) throws IOException {
    long start = System.nanoTime();
    Path model = ModelResolver.fromEnvironment().resolve(config.model());
    OutputOverlap.check("out", config.out(), Map.of("model", model, "adapter", config.adapter()),
        config.overwrite());
    OutputLocation.requireWritable("out", config.out());
    if (config.overwrite()) {
      RunsMergedModel.requireTheRunsOwnMerge(config.out(), model, config.adapter());
    }
    List<String> warnings = new ArrayList<>();
    AdapterDeltas deltas = MergedModel.merge(SavedModelReader.read(model, Set.of(config.tag().split(","))),
        config.tag(), config.signature(), config.adapter(), config.out(), config.overwrite(), warnings::add);
    return new MergeResult(config.out(), deltas.deltas().size(), deltas.head().isPresent(), warnings,
        (System.nanoTime() - start) / 1e6);
  }

  /**
   * One SavedModel that serves many adapters of one base model, each request example choosing its adapter by
   * name ("many customers, one model"; see {@link MultiAdapterModel} and docs/cli.md, export-multi). Each adapter
   * is matched to the model as {@link #merge} matches it; the base weights are stored once. The request's base
   * model is a SavedModel folder or a built-in name ({@code Path.of("bert-base-uncased")}), as merge's model.
   *
   * @return the adapter names the model serves, in index order (the reserved {@code base} follows them)
   * @throws VbLoraException for an adapter that does not fit the model or duplicate names; nothing is written then
   * @throws IOException when the model or an adapter cannot be read or the output cannot be written
   */
  public static List<String> exportMulti(MultiAdapterModel.Request request) throws IOException {
    // A built-in name (Path.of("bert-base-uncased")) resolves as merge's model does.
    request = request.withBaseModel(ModelResolver.fromEnvironment().resolve(request.baseModel().toString()));
    Map<String, Path> inputs = new LinkedHashMap<>();
    inputs.put("model", request.baseModel());
    request.adapters().forEach((name, folder) -> inputs.put("adapter " + name, folder));
    OutputOverlap.check("out", request.out(), inputs, request.overwrite());
    OutputLocation.requireWritable("out", request.out());
    return MultiAdapterModel.write(request);
  }

  /**
   * A multi-adapter model ({@link #exportMulti}) loaded in this process, run through its signature with each
   * example's adapter name; close it when done.
   *
   * @param model the folder {@link #exportMulti} wrote
   * @return the open model, which the caller closes
   * @throws VbLoraException when {@code model} holds no SavedModel
   */
  public static MultiAdapterSession openMulti(Path model) {
    if (!Files.isRegularFile(model.resolve("saved_model.pb"))) {
      // TensorFlow's own error names a missing file deep in its loader; say which setting is wrong.
      throw new InvalidSettingException("model", "model " + model + " has no saved_model.pb; give the folder that"
          + " export-multi wrote");
    }
    return MultiAdapterSession.open(model);
  }

  /**
   * Writes the PEFT adapter folder of a training checkpoint (RUN/checkpoints/step-N), e.g. an earlier one than
   * the run's best.
   *
   * @param checkpoint a checkpoint folder of a run, RUN/checkpoints/step-N
   * @param out the adapter folder to write
   * @param overwrite replace {@code out} if it holds an adapter vblora wrote
   * @return the adapter folder and the step of the checkpoint it came from
   * @throws VbLoraException for a checkpoint that holds no adapter manifest (vblora train did not write it) or one
   *     this version cannot export, or an output that may not be written
   * @throws IOException when the checkpoint is missing, is no checkpoint (no state.json) or cannot be read, or the
   *     adapter cannot be written
   */
  public static AdapterExportResult exportAdapter(Path checkpoint, Path out, boolean overwrite) throws IOException {
    OutputOverlap.check("out", out, Map.of("checkpoint", checkpoint), overwrite);
    OutputLocation.requireWritable("out", out);
    Checkpoint loaded = CheckpointStore.load(checkpoint);
    Object manifest = loaded.state().config().get("manifest");
    if (manifest == null) {
      throw new VbLoraException("checkpoint " + checkpoint + " holds no adapter manifest; it was not written by"
          + " vblora train");
    }
    AdapterManifest parsed;
    try {
      parsed = AdapterManifest.fromJson(Json.asObject(manifest, "manifest of " + checkpoint));
    } catch (IllegalArgumentException e) {
      throw new VbLoraException("checkpoint " + checkpoint + " cannot be exported: " + e.getMessage()
          + "; export it with the vblora version that wrote it, or train a fresh run", e);
    }
    AdapterFolder.write(AdapterExport.toPeft(parsed, loaded.tensors()), out, overwrite);
    return new AdapterExportResult(out, loaded.state().step());
  }
}
