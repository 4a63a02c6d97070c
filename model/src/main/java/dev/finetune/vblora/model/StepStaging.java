package dev.finetune.vblora.model;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.VarHandleOp;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TUint8;
import org.tensorflow.types.family.TType;

/**
 * The values a training step is fed (token ids, labels, row weights, the learning rate's multiplier, the training
 * flag) read on the device instead: each such value is a placeholder whose default is row {@code cursor mod K} of
 * a staging variable that holds K steps' values ([K, ...]), and one session call fills every staging variable
 * with the next K steps at once. A step that feeds nothing reads its values there.
 *
 * <p>Why: a session call that feeds a tensor to a GPU copies it only after the previous call's kernels have
 * finished (TensorFlow orders the copy after the compute stream), so the host enqueues each step's ~700 kernels
 * while the GPU waits (docs/benchmarks.md, "Issue 16"). Steps that feed nothing are enqueued while the GPU still
 * runs the previous one. A value that is fed still wins over the staged one (placeholder semantics), so the same
 * graph runs fed steps and predictions as before.
 *
 * <p>Integer and bool values are staged as int64 and cast back: TensorFlow's GPU kernels hold int32 and bool
 * variables in host memory, which would put a copy back into every step.
 */
public final class StepStaging {
  /** The cursor variable's name under the staging scope. */
  private static final String CURSOR = "cursor";

  private final Ops tf;
  private final String scope;
  private final String cursorVariable;
  private final Operand<TInt64> cursor;
  private final List<StagedSlot> slots;

  private StepStaging(Ops tf, String scope, String cursorVariable, Operand<TInt64> cursor,
      List<StagedSlot> slots) {
    this.tf = tf;
    this.scope = scope;
    this.cursorVariable = cursorVariable;
    this.cursor = cursor;
    this.slots = new ArrayList<>(slots);
  }

  /** Creates the cursor variable (int64 scalar) and its one read under the top-level {@code scope}. */
  public static StepStaging create(Ops tf, String scope) {
    Ops root = tf.withSubScope(scope);
    String name = scope + "/" + CURSOR;
    VarHandleOp handle = root.withName(CURSOR).varHandleOp(TInt64.class, Shape.scalar(),
        VarHandleOp.sharedName(name));
    Operand<TInt64> value = root.withName(CURSOR + "_read").readVariableOp(handle, TInt64.class);
    return new StepStaging(tf, scope, handle.op().name(), value, List.of());
  }

  /** Continues {@code layout} (made by {@link #create} in a graph imported since) in {@code graph}. */
  public static StepStaging attach(Graph graph, StagingLayout layout) {
    GraphOperation read = graph.operationOrThrow(TensorName.parse(layout.cursorValue()).node());
    Operand<TInt64> value = read.<TInt64>output(TensorName.parse(layout.cursorValue()).index());
    return new StepStaging(Ops.create(graph), layout.scope(), layout.cursorVariable(), value, layout.slots());
  }

  /**
   * A placeholder named {@code named}'s name, of {@code type} and {@code shape}, that reads its value from a new
   * staging slot of the same name when it is not fed.
   */
  public <T extends TType> Operand<T> placeholder(Ops named, String slot, Class<T> type, Shape shape) {
    return named.placeholderWithDefault(value(slot, type), shape);
  }

  /**
   * A new slot: its staging variable (any shape [K, ...], set by the staging call) and the value of this step,
   * row {@code cursor mod K}, in {@code type}.
   */
  public <T extends TType> Operand<T> value(String slot, Class<T> type) {
    if (slots.stream().anyMatch(s -> s.name().equals(slot))) {
      throw new VbLoraException("step staging already has a slot named " + slot);
    }
    Ops at = tf.withSubScope(scope);
    for (String segment : OpNames.path(slot).split("/")) {
      at = at.withSubScope(segment);
    }
    Class<? extends TType> stored = storedType(type);
    String variableName = scope + "/" + OpNames.path(slot) + "/staged";
    VarHandleOp handle = at.withName("staged").varHandleOp(stored, Shape.unknown(),
        VarHandleOp.sharedName(variableName));
    Operand<? extends TType> all = at.withName("staged_read").readVariableOp(handle, stored);
    Operand<TInt64> rows = at.gather(at.shape(all, TInt64.class), at.constant(0), at.constant(0));
    Operand<? extends TType> row = at.gather(all, at.math.floorMod(cursor, rows), at.constant(0));
    @SuppressWarnings("unchecked") // stored == type: the row is already of the fed type
    Operand<T> value = stored == type ? (Operand<T>) row : at.withName("value").dtypes.cast(row, type);
    slots.add(new StagedSlot(slot, handle.op().name(), row.asOutput().dataType()));
    return value;
  }

  /** What a session needs to fill the slots and advance the cursor. */
  public StagingLayout layout() {
    return new StagingLayout(scope, cursorVariable, cursor.op().name() + ":" + cursor.asOutput().index(), slots);
  }

  /**
   * The slot of signature input {@code key}: inputs/KEY, apart from the slots a trainer adds (labels, training,
   * ...).
   */
  public static String inputSlot(String key) {
    return "inputs/" + key;
  }

  /** The type a value of {@code type} is staged in: int64 for integers and bools, the type itself otherwise. */
  static Class<? extends TType> storedType(Class<? extends TType> type) {
    return type == TInt32.class || type == TInt64.class || type == TBool.class || type == TUint8.class
        ? TInt64.class : type;
  }

  /** Whether a fed value of {@code type} can be staged: numbers and bools (not strings or resources). */
  public static boolean stageable(DataType type) {
    return tensorType(type) != null;
  }

  /** The tensor class of a stageable {@code type}, or null. */
  public static Class<? extends TType> tensorType(DataType type) {
    return switch (type) {
      case DT_INT32 -> TInt32.class;
      case DT_INT64 -> TInt64.class;
      case DT_BOOL -> TBool.class;
      case DT_UINT8 -> TUint8.class;
      case DT_FLOAT -> TFloat32.class;
      case DT_DOUBLE -> TFloat64.class;
      case DT_HALF -> TFloat16.class;
      case DT_BFLOAT16 -> TBfloat16.class;
      default -> null;
    };
  }

  /**
   * One staged value.
   *
   * @param name the slot's name (a signature input key, or labels, example_weights, ...)
   * @param variable the staging variable's op name; assign it [K, ...] values of {@code stored}
   * @param stored the staging variable's element type
   */
  public record StagedSlot(String name, String variable, DataType stored) {}

  /**
   * Where the staging lives in a graph.
   *
   * @param scope the top-level scope of every staging op
   * @param cursorVariable the int64 scalar variable whose value mod K picks each slot's row
   * @param cursorValue the step's one read of it (tensor name); advance the cursor after this read
   * @param slots every slot, in creation order
   */
  public record StagingLayout(String scope, String cursorVariable, String cursorValue, List<StagedSlot> slots) {
    public StagingLayout {
      slots = List.copyOf(slots);
    }

    /** The slot named {@code name}. */
    public StagedSlot slot(String name) {
      return slots.stream().filter(s -> s.name().equals(name)).findFirst()
          .orElseThrow(() -> new VbLoraException("step staging has no slot " + name + "; its slots are "
              + slots.stream().map(StagedSlot::name).toList()));
    }
  }
}
