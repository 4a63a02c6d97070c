package dev.finetune.vblora.training.device;

import dev.finetune.vblora.data.error.InvalidSettingException;
import org.tensorflow.DeviceSpec;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.exceptions.TensorFlowException;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * Fails early, with a message that says what to install or build, when a session is asked for a GPU that this
 * process does not have. TensorFlow itself would silently run everything on the CPU instead.
 */
public final class DeviceProbe {
  private DeviceProbe() {}

  /**
   * Returns when {@code options} can run here: always for CPU; for GPU, when an op pinned to GPU:0 runs.
   *
   * @throws DeviceUnavailableException when the GPU is missing, naming the cause (CPU build, or no GPU seen)
   * @throws InvalidSettingException for fused attention in a process started without what it needs (see {@link
   *     FusedAttentionFlags}): checked first, so that a wrong environment fails before a model is fetched or read
   */
  public static void requireAvailable(DeviceOptions options) {
    if (options.device() != Device.GPU) {
      return;
    }
    if (options.fusedAttention()) {
      FusedAttentionFlags.require();
    }
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Operand<TFloat32> probe = tf.withDevice(DeviceSpec.newBuilder()
              .deviceType(DeviceSpec.DeviceType.GPU).deviceIndex(0).build())
          .withName("gpu_probe").math.add(tf.constant(1f), tf.constant(1f));
      try (Session session = new Session(graph, options.withXla(false).toConfigProto())) {
        session.runner().fetch(probe).run().close();
      }
    } catch (TensorFlowException | IllegalArgumentException | IllegalStateException e) {
      // TF-Java maps TensorFlow's status codes onto these (InvalidArgument is an IllegalArgumentException).
      String says = String.valueOf(e.getMessage());
      throw new DeviceUnavailableException(message(says), firstLine(says), e);
    }
  }

  static String message(String tensorflowSays) {
    boolean cpuBuild = tensorflowSays.contains("CUDA is not enabled");
    String cause = cpuBuild
        ? "this is the CPU build of TensorFlow"
        : "the GPU build of TensorFlow found no usable GPU (check nvidia-smi, and that the CUDA 12 and cuDNN 9"
            + " libraries are on the library path)";
    return "device gpu: no GPU found: " + cause + ". Build with the GPU natives (the Maven profile -Pgpu;"
        + " ./vblora --device gpu does that); they need an NVIDIA driver, CUDA 12 and cuDNN 9. Or run on device"
        + " cpu. TensorFlow said: ";
  }

  private static String firstLine(String text) {
    int end = text.indexOf('\n');
    return end < 0 ? text : text.substring(0, end);
  }
}
