package dev.finetune.vblora.model;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.Arrays;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TType;

/**
 * The element types a trainer variable may have, with their names in checkpoint files (safetensors-style
 * "F32", "F64", "I32", "I64"), their TensorFlow types and their width in bytes.
 */
public enum ElementType {
  F32(TFloat32.class, DataType.DT_FLOAT, 4),
  F64(TFloat64.class, DataType.DT_DOUBLE, 8),
  I32(TInt32.class, DataType.DT_INT32, 4),
  I64(TInt64.class, DataType.DT_INT64, 8);

  private final Class<? extends TType> tensorType;
  private final DataType dataType;
  private final int byteWidth;

  ElementType(Class<? extends TType> tensorType, DataType dataType, int byteWidth) {
    this.tensorType = tensorType;
    this.dataType = dataType;
    this.byteWidth = byteWidth;
  }

  public Class<? extends TType> tensorType() {
    return tensorType;
  }

  public DataType dataType() {
    return dataType;
  }

  public int byteWidth() {
    return byteWidth;
  }

  /** Whether the optimizer can train a variable of this type. */
  public boolean isFloating() {
    return this == F32 || this == F64;
  }

  public static ElementType of(DataType dataType) {
    return Arrays.stream(values())
        .filter(t -> t.dataType == dataType)
        .findFirst()
        .orElseThrow(() -> new VbLoraException("element type " + dataType
            + " is not supported for trainer variables; use one of " + Arrays.toString(values())));
  }

  public static ElementType of(Class<? extends TType> tensorType) {
    return Arrays.stream(values())
        .filter(t -> t.tensorType == tensorType)
        .findFirst()
        .orElseThrow(() -> new VbLoraException("tensor type " + tensorType.getSimpleName()
            + " is not supported for trainer variables; use one of " + Arrays.toString(values())));
  }

  /** Parses a checkpoint-file name such as "F32". */
  public static ElementType named(String name) {
    try {
      return valueOf(name);
    } catch (IllegalArgumentException e) {
      throw new VbLoraException("unknown element type \"" + name + "\"; expected one of "
          + Arrays.toString(values()), e);
    }
  }
}
