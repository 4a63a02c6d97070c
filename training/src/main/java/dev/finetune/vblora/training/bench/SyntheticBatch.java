package dev.finetune.vblora.training.bench;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.data.error.InvalidSettingException;
import dev.finetune.vblora.savedmodel.SignatureInfo;
import dev.finetune.vblora.savedmodel.TensorSpec;
import dev.finetune.vblora.savedmodel.io.InputRole;
import dev.finetune.vblora.savedmodel.io.ModelInputs;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/**
 * Inputs of a given shape for a signature, made once and fed to every step, so that a timed step does no host work
 * but the run call. Token inputs: a mask gets ones, segment or token-type ids zeros, the ids seeded random ids in
 * [{@value #FIRST_ID}, {@value #END_ID}) (ordinary word pieces in BERT's vocabulary; any vocabulary of at least
 * {@value #END_ID} entries works), roles as train maps them where given, else by name. Float32 inputs (feature
 * models) get seeded standard-normal features.
 */
public final class SyntheticBatch implements AutoCloseable {
  static final int FIRST_ID = 1000;
  static final int END_ID = 2000;

  private final int batchSize;
  private final int length;
  private final Map<String, Tensor> tensors = new LinkedHashMap<>();

  private SyntheticBatch(int batchSize, int length) {
    this.batchSize = batchSize;
    this.length = length;
  }

  /**
   * Tensors for every input of {@code signature}: token inputs {@code [batchSize, length]}, their roles told by
   * their names (see the class comment); float32 inputs as {@link #features} makes them.
   *
   * @throws VbLoraException for an integer input that is not rank 2, or another dtype
   * @throws InvalidSettingException when {@code length} exceeds a fixed sequence length of the signature
   */
  public static SyntheticBatch of(SignatureInfo signature, int batchSize, int length, long seed) {
    return of(signature, null, batchSize, length, seed);
  }

  /**
   * As {@link #of(SignatureInfo, int, int, long)}, with the token inputs' roles as {@code inputs} maps them (ids,
   * mask, types: by convention or by where they flow, as train maps them); inputs it leaves out, or all of them when
   * it is null, are told by name.
   */
  public static SyntheticBatch of(SignatureInfo signature, ModelInputs inputs, int batchSize, int length,
      long seed) {
    if (batchSize < 1 || length < 1) {
      throw new VbLoraException("batch size and length must be at least 1, got " + batchSize + " x "
          + length);
    }
    Map<String, InputRole> roles = new HashMap<>();
    if (inputs != null) {
      inputs.roles().forEach((role, input) -> roles.put(input.key(), role));
    }
    SyntheticBatch batch = new SyntheticBatch(batchSize, length);
    try {
      Random random = new Random(seed);
      for (Map.Entry<String, TensorSpec> input : signature.inputs().entrySet()) {
        batch.tensors.put(input.getValue().tensorName(), tensor(input.getKey(), input.getValue(),
            roles.getOrDefault(input.getKey(), roleByName(input.getKey())), batchSize, length, random));
      }
      return batch;
    } catch (RuntimeException e) {
      batch.close();
      throw e;
    }
  }

  /** Mask or types when the name says so, else ids. */
  private static InputRole roleByName(String key) {
    String name = key.toLowerCase(Locale.ROOT);
    return name.contains("mask") ? InputRole.MASK
        : name.contains("segment") || name.contains("type") ? InputRole.TYPES : InputRole.IDS;
  }

  private static Tensor tensor(String key, TensorSpec spec, InputRole role, int batchSize, int length,
      Random random) {
    if (spec.dtype() == DataType.DT_FLOAT) {
      return features(key, spec, batchSize, length, random);
    }
    if (spec.shape().size() != 2) {
      throw new VbLoraException("signature input " + key + " has shape " + spec.shape()
          + "; bench feeds token ids of shape [batch, length] and needs rank-2 inputs");
    }
    long fixed = spec.shape().get(1);
    if (fixed > 0 && length > fixed) {
      throw new InvalidSettingException("maxLength", "maxLength " + length + " exceeds input " + key + "'s length "
          + fixed + " " + spec.shape() + "; use maxLength " + fixed + " or less");
    }
    int[] values = new int[batchSize * length];
    for (int i = 0; i < values.length; i++) {
      values[i] = role == InputRole.MASK ? 1 : role == InputRole.TYPES ? 0
          : FIRST_ID + random.nextInt(END_ID - FIRST_ID);
    }
    Shape shape = Shape.of(batchSize, length);
    if (spec.dtype() == DataType.DT_INT32) {
      return TInt32.tensorOf(shape, data -> {
        for (int i = 0; i < values.length; i++) {
          data.setInt(values[i], i / length, i % length);
        }
      });
    }
    if (spec.dtype() == DataType.DT_INT64) {
      return TInt64.tensorOf(shape, data -> {
        for (int i = 0; i < values.length; i++) {
          data.setLong(values[i], i / length, i % length);
        }
      });
    }
    throw new VbLoraException("signature input " + key + " is " + spec.dtype()
        + "; bench feeds token ids and needs int32 or int64 inputs");
  }

  /**
   * Seeded standard-normal float32 features of the input's shape: {@code batchSize} rows, every axis the signature
   * fixes as declared, and {@code length} along axis 1 only when the signature leaves it open (a sequence of
   * feature vectors of any length).
   */
  private static Tensor features(String key, TensorSpec spec, int batchSize, int length, Random random) {
    List<Long> declared = spec.shape();
    if (declared.size() < 2) {
      throw new VbLoraException("signature input " + key + " has shape " + declared + "; bench feeds a batch of "
          + "feature rows and needs inputs of rank 2 or more");
    }
    long[] dims = new long[declared.size()];
    dims[0] = batchSize;
    for (int i = 1; i < dims.length; i++) {
      long d = declared.get(i);
      if (d < 0 && i > 1) {
        throw new VbLoraException("signature input " + key + " has shape " + declared + "; bench can fill an open "
            + "batch axis and an open length (axis 1), not axis " + i);
      }
      dims[i] = d < 0 ? length : d;
    }
    Shape shape = Shape.of(dims);
    float[] values = new float[Math.toIntExact(shape.size())];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) random.nextGaussian();
    }
    return TFloat32.tensorOf(shape, DataBuffers.of(values, true, false));
  }

  /** Seeded class ids in [0, classes), {@code [batchSize]}: labels for a training step. */
  public static TInt32 labels(int batchSize, int classes, long seed) {
    Random random = new Random(seed);
    int[] ids = new int[batchSize];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = random.nextInt(classes);
    }
    return TInt32.vectorOf(ids);
  }

  /** Adds every input as a feed. */
  public Session.Runner feed(Session.Runner runner) {
    tensors.forEach(runner::feed);
    return runner;
  }

  /** Tensor name to tensor, in signature order. */
  public Map<String, Tensor> tensors() {
    return Map.copyOf(tensors);
  }

  public int batchSize() {
    return batchSize;
  }

  public int length() {
    return length;
  }

  @Override
  public void close() {
    List<Tensor> all = new ArrayList<>(tensors.values());
    tensors.clear();
    all.forEach(Tensor::close);
  }
}
