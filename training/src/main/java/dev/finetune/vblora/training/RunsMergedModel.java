package dev.finetune.vblora.training;

import dev.finetune.vblora.data.error.InvalidSettingException;
import dev.finetune.vblora.data.io.OutputMarker;
import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.savedmodel.ModelResolver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A training run's merged/ is its adapter/ merged into its model; metrics.json, valid_predictions.tsv and the
 * adapter describe that model. {@code merge --overwrite} may re-merge it (the same adapter into the same model),
 * but a merge of another adapter or into another model would leave the run contradicting itself, so it is
 * refused: such a merge belongs in a folder of its own.
 */
final class RunsMergedModel {
  private RunsMergedModel() {}

  /**
   * Refuses replacing {@code out} when it is the merged/ of a run (its parent is marked as a run) and
   * {@code adapter} is not that run's adapter/ or {@code model} not the model its config.json names.
   */
  static void requireTheRunsOwnMerge(Path out, Path model, Path adapter) throws IOException {
    Path merged = out.toAbsolutePath().normalize();
    Path run = merged.getParent();
    if (run == null || !merged.getFileName().toString().equals("merged") || !Files.isDirectory(merged)
        || OutputMarker.read(run).filter(k -> k == OutputMarker.Kind.RUN).isEmpty()) {
      return;
    }
    Path runAdapter = run.resolve("adapter");
    Optional<Path> runModel = runModel(run);
    boolean sameAdapter = Files.exists(adapter) && Files.exists(runAdapter) && Files.isSameFile(adapter, runAdapter);
    boolean sameModel = runModel.isEmpty() || Files.isSameFile(model, runModel.get());
    if (sameAdapter && sameModel) {
      return;
    }
    String other = !sameAdapter ? "adapter " + adapter + " (not the run's " + runAdapter + ")"
        : "the run's adapter into " + model + " (not the run's model, " + runModel.get() + ")";
    throw new InvalidSettingException(List.of("out", "overwrite"), "out " + merged + " is the merged model of"
        + " the training run " + run + "; replacing it with a merge of " + other + " would leave the run's"
        + " adapter, metrics and predictions describing another model than its merged/. overwrite replaces a"
        + " run's merged/ only with that run's adapter merged into its model: choose another out folder");
  }

  /**
   * The model the run's config.json names, resolved as train resolved it; empty when it cannot be told (no
   * config, or a relative path that does not lead to a folder from here): the adapter's check stands alone then.
   */
  private static Optional<Path> runModel(Path run) {
    try {
      Object model = Json.parseObject(Files.readString(run.resolve("config.json"), StandardCharsets.UTF_8))
          .get("model");
      return model instanceof String name ? Optional.of(ModelResolver.fromEnvironment().resolve(name))
          .filter(Files::isDirectory) : Optional.empty();
    } catch (IOException | RuntimeException e) { // no config, not JSON, a built-in model not fetched: unknown
      return Optional.empty();
    }
  }
}
