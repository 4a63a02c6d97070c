package dev.finetune.vblora.training.bench;

import dev.finetune.vblora.data.error.InvalidSettingException;
import dev.finetune.vblora.model.AdapterPlan;
import dev.finetune.vblora.model.UpdateForm;
import dev.finetune.vblora.savedmodel.io.ModelIo;
import dev.finetune.vblora.training.StepLaunch;
import dev.finetune.vblora.training.device.Device;
import dev.finetune.vblora.training.device.DeviceOptions;
import dev.finetune.vblora.training.device.Precision;
import java.util.Objects;

/**
 * How a benchmark runs.
 *
 * @param batchSize examples per step
 * @param maxLength tokens per example (the synthetic inputs' second dimension)
 * @param steps timed steps per measurement
 * @param warmup untimed steps per measurement before timing (XLA compiles and TensorFlow tunes here)
 * @param device session options shared by every measurement
 * @param seed seed of the synthetic inputs and labels (the adapter's init has its own, in the plan)
 * @param profile trace one more step of the primary measurement and report its time per op type and device
 * @param updateForm how adapted MatMuls apply the update; null: {@link UpdateForm#automatic} for the device
 * @param syncEvery training steps per wait for the device: the loss is fetched on every {@code syncEvery}-th
 *     step only, the steps between are enqueued without a fetch (as a training loop that reads its loss every
 *     N steps runs them); a timed training step is then the time of such a group divided by its size. 1 waits
 *     for every step. Forward and inference measurements always fetch (their latency is what is asked)
 * @param stepLaunch how a staged training step is handed to XLA; null: {@link DeviceOptions#stepLaunch}
 * @param io how the model is fed and what a run trains on it, as train's model io settings ({@code --input},
 *     {@code --features}, {@code --pooling}, {@code --output}, {@code --loss}); {@link ModelIo.Settings#detected()}
 *     leaves all of it to detection
 */
public record BenchSettings(int batchSize, int maxLength, int steps, int warmup, DeviceOptions device, long seed,
    boolean profile, UpdateForm updateForm, int syncEvery, StepLaunch stepLaunch, ModelIo.Settings io) {

  /** Settings without the profile, the update form chosen for the device, a wait for every step. */
  public BenchSettings(int batchSize, int maxLength, int steps, int warmup, DeviceOptions device, long seed) {
    this(batchSize, maxLength, steps, warmup, device, seed, false, null, 1, null);
  }

  /** Settings whose model io is detected. */
  public BenchSettings(int batchSize, int maxLength, int steps, int warmup, DeviceOptions device, long seed,
      boolean profile, UpdateForm updateForm, int syncEvery, StepLaunch stepLaunch) {
    this(batchSize, maxLength, steps, warmup, device, seed, profile, updateForm, syncEvery, stepLaunch,
        ModelIo.Settings.detected());
  }

  /** These settings with another sequence length (the one a model with a fixed length takes). */
  public BenchSettings withMaxLength(int value) {
    return new BenchSettings(batchSize, value, steps, warmup, device, seed, profile, updateForm, syncEvery,
        stepLaunch, io);
  }

  /** How a staged training step is handed to XLA: as asked, else as the device chooses. */
  public StepLaunch stepLaunchFor() {
    return stepLaunch != null ? stepLaunch : device.stepLaunch();
  }

  /** The update form of {@code plan}'s training graph. */
  public UpdateForm updateFormFor(AdapterPlan plan) {
    return updateForm != null ? updateForm : UpdateForm.automatic(device.device() == Device.GPU,
        device.precision() == Precision.FP32, plan.dropout());
  }

  public BenchSettings {
    Objects.requireNonNull(device, "device");
    Objects.requireNonNull(io, "io");
    if (batchSize < 1) {
      throw new InvalidSettingException("batchSize", "batchSize must be at least 1, got " + batchSize);
    }
    if (maxLength < 1) {
      throw new InvalidSettingException("maxLength", "maxLength must be at least 1, got " + maxLength);
    }
    if (steps < 1) {
      throw new InvalidSettingException("steps", "steps must be at least 1, got " + steps);
    }
    if (syncEvery < 1) {
      throw new InvalidSettingException("syncEvery", "syncEvery must be at least 1, got " + syncEvery);
    }
    if (warmup < 0) {
      throw new InvalidSettingException("warmup", "warmup must be 0 or more, got " + warmup);
    }
  }
}
