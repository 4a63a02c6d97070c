package dev.finetune.vblora.training;

import dev.finetune.vblora.savedmodel.export.MergedAdapters;
import dev.finetune.vblora.training.device.Device;
import dev.finetune.vblora.training.device.XlaCpuFlag;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a run notices before it starts and trains on with, for {@code TrainingListener.onWarning}: said by the
 * library, so that a program calling {@link VbLora#train} hears what {@code vblora train} prints.
 */
final class RunWarnings {
  private RunWarnings() {}

  /** The warnings for a run of {@code config} on the model in {@code modelFolder}, in the order to say them. */
  static List<String> of(TrainConfig config, Path modelFolder) throws IOException {
    List<String> warnings = new ArrayList<>();
    if (config.deviceOptions().device() == Device.CPU && config.xlaEnabled() && !XlaCpuFlag.enabled()) {
      warnings.add(XlaCpuFlag.hint());
    }
    mergedBase(modelFolder).ifPresent(warnings::add);
    return warnings;
  }

  /**
   * A merged model as the base: a legitimate way to train on top of an adapter, but the new adapter then belongs
   * to that merged model, and merging it into the model underneath would leave the first update out.
   */
  private static Optional<String> mergedBase(Path model) throws IOException {
    // A damaged record is refused here, before anything is written: the run's merged/ export would need it.
    List<MergedAdapters.Entry> merged = MergedAdapters.read(model);
    String consequence = "; the adapter trained here learns on top of it, so adapter/ is to be merged into "
        + model + " itself (merged/ holds both updates), not into the model underneath";
    if (!merged.isEmpty()) {
      return Optional.of(MergedAdapters.holding(model, merged) + consequence);
    }
    if (MergedAdapters.unrecorded(model, merged)) {
      return Optional.of(model + " is a merged model written by vblora" + consequence);
    }
    return Optional.empty();
  }
}
