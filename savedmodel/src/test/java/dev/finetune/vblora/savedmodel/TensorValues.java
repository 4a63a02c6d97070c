package dev.finetune.vblora.savedmodel;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.types.TFloat32;

/** Reading tensors back for the adapted-graph tests (TF1 and TF2 alike). */
final class TensorValues {
  private TensorValues() {}

  /** The tensor's values in row-major order. */
  static float[] flat(TFloat32 tensor) {
    float[] values = new float[(int) tensor.size()];
    tensor.asRawTensor().data().asFloats().read(values);
    return values;
  }

  /** A hash of every value's bits, one variable at a time (all of BERT at once would be 440 MB). */
  static Map<String, Integer> fingerprints(Session session, Map<String, Operand<TFloat32>> reads) {
    Map<String, Integer> prints = new HashMap<>();
    reads.forEach((name, read) -> {
      try (Result result = session.runner().fetch(read).run()) {
        prints.put(name, Arrays.hashCode(flat((TFloat32) result.get(0))));
      }
    });
    return prints;
  }
}
