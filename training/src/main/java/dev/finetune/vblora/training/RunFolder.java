package dev.finetune.vblora.training;

import dev.finetune.vblora.data.error.InvalidSettingException;
import dev.finetune.vblora.data.io.AtomicFile;
import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.savedmodel.VbloraVersion;
import dev.finetune.vblora.data.io.AtomicDirectoryWriter;
import dev.finetune.vblora.data.io.OutputMarker;
import dev.finetune.vblora.data.io.OutputLocation;
import dev.finetune.vblora.data.io.OutputOverlap;
import dev.finetune.vblora.training.checkpoint.Checkpoint;
import dev.finetune.vblora.training.checkpoint.CheckpointRef;
import dev.finetune.vblora.training.checkpoint.CheckpointStore;
import dev.finetune.vblora.training.export.AdapterManifest;
import dev.finetune.vblora.training.guard.LossGuard;
import dev.finetune.vblora.training.guard.NonFiniteLossException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * A run's output folder (--out) and what may happen to what is there. {@link #check} only reads; nothing in
 * --out changes before {@link #write}, which the trainer calls once every input has been validated. So a refused
 * run leaves the folder exactly as it was.
 *
 * <ul>
 *   <li>A new run goes into an absent or empty folder, which is marked as a run ({@link OutputMarker}).
 *   <li>{@code --resume} continues in place, in a folder that is a run (marked, or holding a checkpoint of an
 *       older vblora) and whose newest checkpoint was made with this run's settings.
 *   <li>{@code --overwrite} replaces only a marked run. The new run is trained in a hidden sibling folder and
 *       swapped in only once it has finished ({@link AtomicDirectoryWriter}): a run that fails or is killed
 *       leaves the previous one untouched.
 * </ul>
 */
final class RunFolder {
  /** Trains a run into a folder (the run folder itself, or a staging folder that replaces it at the end). */
  @FunctionalInterface
  interface Training {
    TrainingResult into(Path folder) throws IOException;
  }

  private enum Mode { NEW, RESUME, REPLACE }

  private final Path out;
  private final Mode mode;
  /** With resume: the checkpoint resumed and the classes it was trained on, in id order. */
  private final CheckpointRef resumed;
  private final List<String> resumedClasses;

  private RunFolder(Path out, Mode mode, CheckpointRef resumed, List<String> resumedClasses) {
    this.out = out;
    this.mode = mode;
    this.resumed = resumed;
    this.resumedClasses = resumedClasses;
  }

  /**
   * Checks {@code config.out()} against the run's flags and inputs, without changing anything.
   *
   * @param modelFolder the resolved --model folder, which --out must not be or lie in
   * @throws IllegalArgumentException or IOException naming the folder and what to do
   */
  static RunFolder check(TrainConfig config, Path modelFolder) throws IOException {
    Path out = config.out();
    if (Files.exists(out) && !Files.isDirectory(out)) {
      throw new InvalidSettingException("out", "out " + out + " is a file; give a folder");
    }
    OutputLocation.requireWritable("out", out);
    Mode mode = config.resume() ? Mode.RESUME : holdsSomething(out) ? Mode.REPLACE : Mode.NEW;
    if (mode == Mode.REPLACE && !config.overwrite()) {
      Optional<OutputMarker.Kind> marked = OutputMarker.read(out);
      boolean checkpointed = CheckpointStore.latestIn(out).isPresent();
      if (marked.filter(OutputMarker.Kind.RUN::equals).isEmpty() && !checkpointed) {
        // Neither resume nor overwrite would write into a folder that is not a run: offer neither.
        throw new InvalidSettingException("out", "output folder " + out + " exists and holds " + marked
            .map(m -> m.description() + ", not a vblora training run")
            .orElse("files that are not a vblora run (it has no " + OutputMarker.FILE + ")")
            + "; choose another out folder");
      }
      if (!checkpointed) {
        // A run that stopped before its first checkpoint (an error, NaN, Ctrl-C) cannot be resumed: offer overwrite.
        throw new InvalidSettingException(List.of("out", "overwrite"), "output folder " + out + " holds a run that"
            + " stopped before its first checkpoint, so there is nothing to resume; set overwrite to start it again"
            + " there, or choose another out folder");
      }
      throw new InvalidSettingException(List.of("out", "resume", "overwrite"), "output folder " + out + " exists;"
          + " set resume to continue the run there, overwrite to replace it, or choose another out folder");
    }
    Map<String, Path> inputs = new LinkedHashMap<>();
    inputs.put("model", modelFolder);
    inputs.put("train", config.train());
    inputs.put("valid", config.valid());
    OutputOverlap.check("out", out, inputs, mode == Mode.REPLACE);
    if (mode == Mode.REPLACE) {
      AtomicDirectoryWriter.requireReplaceable(out, OutputMarker.Kind.RUN);
    }
    if (mode == Mode.RESUME) {
      Resumable resumable = requireResumable(config);
      return new RunFolder(out, mode, resumable.latest(), resumable.manifest().labelNames());
    }
    return new RunFolder(out, mode, null, List.of());
  }

  /**
   * A resumed checkpoint's head rows are the classes it was trained on, in id order: data whose labels now name
   * other classes (the files edited in place, say) would train them under the wrong names. Checked once the data is
   * read, before anything is written.
   *
   * @param labelNames the classes the data gives now, in id order (empty for regression or an own output)
   */
  void requireResumedClasses(List<String> labelNames) {
    if (resumed != null && !resumedClasses.equals(labelNames)) {
      throw new InvalidSettingException(List.of("resume", "train"), "resume: the checkpoint in " + resumed.dir()
          + " was trained on the classes " + resumedClasses + " (in id order), but the data now gives " + labelNames
          + "; resume with the original run's data, or start a new run in another out folder");
    }
  }

  /**
   * Resume continues a run that has not finished. A run's metrics.json is written last, so a run folder that has one
   * is complete: resuming it would train no step and write its outputs again, with a step time of no steps. Checked
   * with the other resume checks, before anything is written.
   */
  void requireUnfinished() {
    if (resumed != null && Files.isRegularFile(out.resolve(RunExport.METRICS_FILE))) {
      throw new InvalidSettingException(List.of("resume", "overwrite", "out"), "resume: the run in " + out
          + " has finished (its " + RunExport.METRICS_FILE + " is written), so nothing is left to train; its outputs"
          + " stay as they are. Use them, or start a new run with overwrite or in another out folder");
    }
  }

  /**
   * Whether a run of {@code config} replaces what --out holds: trained in a staging folder and swapped in only once
   * it has finished (overwrite of a folder that holds something), so that a stopped run leaves --out as it was.
   */
  static boolean replaces(TrainConfig config) throws IOException {
    return !config.resume() && config.overwrite() && holdsSomething(config.out());
  }

  private static boolean holdsSomething(Path out) throws IOException {
    return Files.isDirectory(out) && !isEmpty(out);
  }

  /** The newest checkpoint of a run folder, and the manifest it was saved with. */
  private record Resumable(CheckpointRef latest, AdapterManifest manifest) {}

  /** The run's folder holds a checkpoint made with {@code config}'s settings: the newest, read once. */
  private static Resumable requireResumable(TrainConfig config) throws IOException {
    Path out = config.out();
    if (!Files.isDirectory(out) || isEmpty(out)) {
      throw new InvalidSettingException("resume", "resume: " + out + " holds no previous run to resume; start the"
          + " run without resume");
    }
    Optional<CheckpointRef> latest = CheckpointStore.latestIn(out);
    if (OutputMarker.read(out).isEmpty() && latest.isEmpty()) {
      throw new InvalidSettingException(List.of("resume", "out"), "resume: " + out + " is not a vblora run folder"
          + " (it has no "
          + OutputMarker.FILE + " and no checkpoints/step-N), so nothing is written into it; continue the run's"
          + " own out folder, or start a new run in an empty or absent out folder");
    }
    if (latest.isEmpty()) {
      throw new InvalidSettingException(List.of("resume", "overwrite"), "resume: there is no checkpoint in "
          + out.resolve("checkpoints") + " to resume from (the run stopped before its first evaluation); start it"
          + " again with overwrite instead of resume");
    }
    AdapterManifest manifest = savedManifest(latest.get(), CheckpointStore.loadForResume(out, latest.get()));
    requireSameSettings(config, latest.get(), manifest);
    return new Resumable(latest.get(), manifest);
  }

  /** A checkpoint resumes only a run of the same settings (all of {@link TrainConfig#identity()}). */
  static void requireSameSettings(TrainConfig config, CheckpointRef ref, Checkpoint checkpoint) {
    requireSameSettings(config, ref, savedManifest(ref, checkpoint));
  }

  private static void requireSameSettings(TrainConfig config, CheckpointRef ref, AdapterManifest manifest) {
    Map<String, Object> saved = manifest.config().identity();
    Map<String, Object> now = config.identity();
    if (!saved.equals(now)) {
      TreeSet<String> differ = new TreeSet<>();
      now.forEach((k, v) -> {
        if (!Objects.equals(v, saved.get(k))) {
          differ.add(k);
        }
      });
      throw new InvalidSettingException(List.of("resume", "out"), "resume: the checkpoint in " + ref.dir()
          + " was made with other settings (" + differ + "); resume with the settings of the original run, or"
          + " start a new one in another out folder");
    }
  }

  /** The checkpoint's manifest; one that this version cannot continue (e.g. per-kernel logits) is refused. */
  private static AdapterManifest savedManifest(CheckpointRef ref, Checkpoint checkpoint) {
    try {
      return AdapterManifest.fromJson(Json.getObject(checkpoint.state().config(), "manifest"));
    } catch (IllegalArgumentException e) {
      throw new InvalidSettingException(List.of("resume", "out"), "resume: the checkpoint in " + ref.dir()
          + " cannot be resumed: " + e.getMessage() + "; start a fresh run (without resume, or in another out"
          + " folder)", e);
    }
  }

  /**
   * Runs {@code training} where this run writes: in --out itself (new run, resume), or in a staging folder that
   * replaces --out only when the training has returned (overwrite).
   */
  TrainingResult write(Training training) throws IOException {
    if (mode != Mode.REPLACE) {
      AtomicDirectoryWriter.removeAbandonedTemps(out); // of an overwrite run that was killed
      Files.createDirectories(out);
      if (OutputMarker.read(out).isEmpty()) {
        OutputMarker.write(out, OutputMarker.Kind.RUN);
      }
      return training.into(out);
    }
    TrainingResult[] result = new TrainingResult[1];
    try {
      AtomicDirectoryWriter.write(out, OutputMarker.Kind.RUN, true, staging -> result[0] = training.into(staging));
    } catch (NonFiniteLossException e) {
      throw LossGuard.discarded(e, out + " still holds the previous run, unchanged");
    }
    return result[0].movedTo(out);
  }

  /**
   * DIR/config.json: the vblora version that ran, then the run's settings (with --out as given, wherever the
   * run is written).
   */
  static void writeConfig(TrainConfig config, Path folder) throws IOException {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put(VbloraVersion.JSON_KEY, VbloraVersion.current());
    json.putAll(config.toJson());
    AtomicFile.writeString(folder.resolve("config.json"), Json.toIndentedJson(json) + "\n");
  }

  private static boolean isEmpty(Path dir) throws IOException {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.findAny().isEmpty();
    }
  }
}
