package dev.finetune.vblora.savedmodel.adapter;

import dev.finetune.vblora.data.error.VbLoraException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One tensor as a safetensors file stores it: a dtype, a shape and the raw little-endian bytes in C order.
 * Immutable; the accessors return copies.
 */
public final class StoredTensor {
  private final Dtype dtype;
  private final long[] shape;
  private final byte[] data;

  /** Wraps raw little-endian bytes; their length must be the element count times the dtype's size. */
  public StoredTensor(Dtype dtype, long[] shape, byte[] data) {
    this.dtype = dtype;
    this.shape = shape.clone();
    long expected = byteSize(dtype, this.shape);
    if (data.length != expected) {
      throw new VbLoraException("shape " + Arrays.toString(shape) + " of " + dtype + " needs "
          + expected + " bytes, got " + data.length);
    }
    this.data = data.clone();
  }

  /** An F32 tensor. */
  public static StoredTensor ofFloats(long[] shape, float[] values) {
    return ofFloats(Dtype.F32, shape, values);
  }

  /** A floating-point tensor of {@code dtype} (F32, F64, F16 or BF16; narrowing rounds to nearest even). */
  public static StoredTensor ofFloats(Dtype dtype, long[] shape, float[] values) {
    if (!dtype.isFloatingPoint()) {
      throw new VbLoraException("ofFloats needs a floating-point dtype, got " + dtype);
    }
    checkCount(shape, values.length);
    ByteBuffer buffer = ByteBuffer.allocate(values.length * dtype.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      switch (dtype) {
        case F32 -> buffer.putFloat(v);
        case F64 -> buffer.putDouble(v);
        case F16 -> buffer.putShort(HalfPrecision.floatToF16(v));
        case BF16 -> buffer.putShort(HalfPrecision.floatToBf16(v));
        default -> throw new AssertionError(dtype);
      }
    }
    return new StoredTensor(dtype, shape, buffer.array());
  }

  /** An integer (or BOOL) tensor; every value must fit {@code dtype}. U64 holds the bit pattern of the long. */
  public static StoredTensor ofIntegers(Dtype dtype, long[] shape, long[] values) {
    if (dtype.isFloatingPoint()) {
      throw new VbLoraException("ofIntegers needs an integer dtype, got " + dtype);
    }
    checkCount(shape, values.length);
    ByteBuffer buffer = ByteBuffer.allocate(values.length * dtype.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
    for (long v : values) {
      checkRange(dtype, v);
      switch (dtype.byteSize()) {
        case 1 -> buffer.put((byte) v);
        case 2 -> buffer.putShort((short) v);
        case 4 -> buffer.putInt((int) v);
        case 8 -> buffer.putLong(v);
        default -> throw new AssertionError(dtype);
      }
    }
    return new StoredTensor(dtype, shape, buffer.array());
  }

  public Dtype dtype() {
    return dtype;
  }

  public long[] shape() {
    return shape.clone();
  }

  public int rank() {
    return shape.length;
  }

  public long dim(int axis) {
    return shape[axis];
  }

  public long elementCount() {
    return data.length / dtype.byteSize();
  }

  public int byteSize() {
    return data.length;
  }

  /** The raw little-endian bytes. */
  public byte[] rawBytes() {
    return data.clone();
  }

  /** The values of a floating-point tensor as floats (F64 is narrowed). */
  public float[] toFloats() {
    if (!dtype.isFloatingPoint()) {
      throw new IllegalStateException("tensor of dtype " + dtype + " holds no floating-point values");
    }
    ByteBuffer buffer = buffer();
    float[] values = new float[(int) elementCount()];
    for (int i = 0; i < values.length; i++) {
      values[i] = switch (dtype) {
        case F32 -> buffer.getFloat();
        case F64 -> (float) buffer.getDouble();
        case F16 -> HalfPrecision.f16ToFloat(buffer.getShort());
        case BF16 -> HalfPrecision.bf16ToFloat(buffer.getShort());
        default -> throw new AssertionError(dtype);
      };
    }
    return values;
  }

  /** The values of an integer or BOOL tensor (unsigned types are widened; U64 is the raw bit pattern). */
  public long[] toLongs() {
    if (dtype.isFloatingPoint()) {
      throw new IllegalStateException("tensor of dtype " + dtype + " holds no integer values");
    }
    ByteBuffer buffer = buffer();
    long[] values = new long[(int) elementCount()];
    for (int i = 0; i < values.length; i++) {
      values[i] = switch (dtype) {
        case BOOL, U8 -> buffer.get() & 0xffL;
        case I8 -> buffer.get();
        case I16 -> buffer.getShort();
        case U16 -> buffer.getShort() & 0xffffL;
        case I32 -> buffer.getInt();
        case U32 -> buffer.getInt() & 0xffffffffL;
        case I64, U64 -> buffer.getLong();
        default -> throw new AssertionError(dtype);
      };
    }
    return values;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof StoredTensor that && dtype == that.dtype && Arrays.equals(shape, that.shape)
        && Arrays.equals(data, that.data);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * dtype.hashCode() + Arrays.hashCode(shape)) + Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return dtype + Arrays.toString(shape);
  }

  /** Byte size of a tensor; an error when it cannot be held in one Java array. */
  static long byteSize(Dtype dtype, long[] shape) {
    long count = elementCount(shape);
    if (count > (Integer.MAX_VALUE - 8) / dtype.byteSize()) {
      throw new VbLoraException("tensor of shape " + Arrays.toString(shape) + " and dtype " + dtype
          + " is too large to hold in memory here");
    }
    return count * dtype.byteSize();
  }

  static long elementCount(long[] shape) {
    long count = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new VbLoraException("negative dimension in shape " + Arrays.toString(shape));
      }
      count = Math.multiplyExact(count, d);
    }
    return count;
  }

  private static void checkCount(long[] shape, int valueCount) {
    if (elementCount(shape) != valueCount) {
      throw new VbLoraException("shape " + Arrays.toString(shape) + " holds " + elementCount(shape)
          + " values, got " + valueCount);
    }
  }

  private static void checkRange(Dtype dtype, long v) {
    boolean fits = switch (dtype) {
      case BOOL -> v == 0 || v == 1;
      case U8 -> v >= 0 && v <= 0xff;
      case I8 -> v >= Byte.MIN_VALUE && v <= Byte.MAX_VALUE;
      case I16 -> v >= Short.MIN_VALUE && v <= Short.MAX_VALUE;
      case U16 -> v >= 0 && v <= 0xffff;
      case I32 -> v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE;
      case U32 -> v >= 0 && v <= 0xffffffffL;
      case I64, U64 -> true;
      default -> throw new AssertionError(dtype);
    };
    if (!fits) {
      throw new VbLoraException("value " + v + " does not fit dtype " + dtype);
    }
  }

  private ByteBuffer buffer() {
    return ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
  }
}
