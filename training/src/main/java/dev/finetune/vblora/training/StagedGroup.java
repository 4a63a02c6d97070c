package dev.finetune.vblora.training;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.model.FedValues;
import dev.finetune.vblora.model.StepStaging;
import dev.finetune.vblora.model.StepStaging.StagedSlot;
import dev.finetune.vblora.model.StepStaging.StagingLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.ByteDataBuffer;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;

/**
 * The values of up to {@code capacity} consecutive training steps, stacked per staging slot into one [capacity,
 * ...] tensor for {@link StagedSteps#stage}: what each step would have been fed (its {@link StepFeeds}, the
 * learning rate's multiplier, the training flag true). Rows past the last step are zeros that no step reads; a
 * group of fewer steps keeps the shape, so the staged step is compiled once. Closing it closes every tensor.
 */
public final class StagedGroup implements AutoCloseable {
  private final int capacity;
  private final Map<String, Tensor> tensors;

  private StagedGroup(int capacity, Map<String, Tensor> tensors) {
    this.capacity = capacity;
    this.tensors = tensors;
  }

  /**
   * Stacks {@code feeds} (one per step, all of one batch shape) and {@code multipliers} for {@code layout}'s
   * slots. The feeds stay open; the caller closes them.
   */
  static StagedGroup of(StagingLayout layout, List<StepFeeds> feeds, double[] multipliers, int capacity) {
    if (multipliers.length != feeds.size()) {
      throw new IllegalArgumentException(feeds.size() + " steps and " + multipliers.length + " multipliers");
    }
    List<Tensor> scalars = new ArrayList<>();
    try {
      Tensor training = TBool.scalarOf(true);
      scalars.add(training);
      List<Tensor> rates = new ArrayList<>();
      for (double m : multipliers) {
        Tensor rate = TFloat64.scalarOf(m);
        scalars.add(rate);
        rates.add(rate);
      }
      return of(layout, feeds.size(), capacity, (slot, step) -> switch (slot) {
        case FedValues.TRAINING -> training;
        case FedValues.LEARNING_RATE_MULTIPLIER -> rates.get(step);
        case FedValues.LABELS -> feeds.get(step).labels();
        case FedValues.EXAMPLE_WEIGHTS -> feeds.get(step).exampleWeights();
        default -> input(slot, feeds.get(step).inputs());
      });
    } finally {
      scalars.forEach(Tensor::close);
    }
  }

  /**
   * Stacks what {@code values} gives for each slot and each of {@code steps} steps (tensors the caller owns and
   * closes) into tensors of {@code capacity} rows.
   */
  public static StagedGroup of(StagingLayout layout, int steps, int capacity, SlotValues values) {
    if (steps < 1 || steps > capacity) {
      throw new IllegalArgumentException(steps + " steps for a group of " + capacity);
    }
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    try {
      for (StagedSlot slot : layout.slots()) {
        List<Tensor> perStep = new ArrayList<>(steps);
        for (int i = 0; i < steps; i++) {
          perStep.add(values.value(slot.name(), i));
        }
        tensors.put(slot.name(), stack(slot, perStep, capacity));
      }
    } catch (RuntimeException e) {
      tensors.values().forEach(Tensor::close);
      throw e;
    }
    return new StagedGroup(capacity, tensors);
  }

  /** What one step puts into one slot. */
  @FunctionalInterface
  public interface SlotValues {
    /** The value of {@code slot} at step {@code step} of the group (0-based). */
    Tensor value(String slot, int step);
  }

  /** The tensor of the signature input whose slot is {@code slot}. */
  public static Tensor input(String slot, Map<String, Tensor> inputs) {
    for (Map.Entry<String, Tensor> input : inputs.entrySet()) {
      if (StepStaging.inputSlot(input.getKey()).equals(slot)) {
        return input.getValue();
      }
    }
    throw new VbLoraException("staging slot " + slot + " has no value among the step's inputs "
        + inputs.keySet());
  }

  /** The step tensors side by side along a new first axis of length {@code capacity}, in the slot's stored type. */
  private static Tensor stack(StagedSlot slot, List<Tensor> perStep, int capacity) {
    Shape shape = perStep.get(0).shape();
    for (Tensor t : perStep) {
      if (!t.shape().equals(shape)) {
        throw new VbLoraException("staged steps need batches of one shape; slot " + slot.name() + " has "
            + shape + " and " + t.shape() + " (use one length bucket and full batches)");
      }
    }
    long[] dims = new long[shape.numDimensions() + 1];
    dims[0] = capacity;
    System.arraycopy(shape.asArray(), 0, dims, 1, shape.numDimensions());
    int per = Math.toIntExact(shape.size());
    byte[] first = bytesOf(slot, perStep.get(0), per);
    int stepBytes = first.length;
    byte[] all = new byte[Math.multiplyExact(stepBytes, capacity)];
    for (int i = 0; i < perStep.size(); i++) {
      System.arraycopy(i == 0 ? first : bytesOf(slot, perStep.get(i), per), 0, all, i * stepBytes, stepBytes);
    }
    return Tensor.of(StepStaging.tensorType(slot.stored()), Shape.of(dims), DataBuffers.of(all, false, false));
  }

  /**
   * {@code value}'s elements as the slot's stored type lays them out in memory: its own bytes when it already has
   * that type, else (int32 and bool values of an int64 slot) each widened to a native-order int64.
   */
  private static byte[] bytesOf(StagedSlot slot, Tensor value, int count) {
    if (value.dataType() == slot.stored()) {
      ByteDataBuffer raw = value.asRawTensor().data();
      byte[] bytes = new byte[Math.toIntExact(raw.size())];
      raw.read(bytes);
      return bytes;
    }
    if (slot.stored() != DataType.DT_INT64) {
      throw new VbLoraException("cannot stage a " + value.dataType() + " value in slot " + slot.name() + " of "
          + slot.stored());
    }
    long[] longs = new long[count];
    if (value instanceof TInt32 ints) {
      int[] one = new int[count];
      ints.copyTo(DataBuffers.of(one, false, false));
      for (int j = 0; j < count; j++) {
        longs[j] = one[j];
      }
    } else if (value instanceof TBool bools) {
      boolean[] one = new boolean[count];
      bools.copyTo(DataBuffers.of(one, false, false));
      for (int j = 0; j < count; j++) {
        longs[j] = one[j] ? 1 : 0;
      }
    } else {
      throw new VbLoraException("cannot stage a " + value.dataType() + " value as int64 (slot " + slot.name() + ")");
    }
    ByteBuffer bytes = ByteBuffer.allocate(Long.BYTES * count).order(ByteOrder.nativeOrder());
    bytes.asLongBuffer().put(longs);
    return bytes.array();
  }

  /** The stacked tensor of {@code slot}. */
  Tensor tensor(String slot) {
    Tensor t = tensors.get(slot);
    if (t == null) {
      throw new IllegalStateException("the group has no tensor for slot " + slot);
    }
    return t;
  }

  /** Rows of every stacked tensor. */
  public int capacity() {
    return capacity;
  }

  @Override
  public void close() {
    tensors.values().forEach(Tensor::close);
  }
}
