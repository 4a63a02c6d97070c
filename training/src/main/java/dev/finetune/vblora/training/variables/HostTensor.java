package dev.finetune.vblora.training.variables;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.model.ElementType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;

/**
 * A tensor's value held in Java memory: element type, shape and the elements as little-endian bytes in
 * row-major order. Bytes rather than float[] so that a save/load round trip is exact by construction and
 * one class covers every {@link ElementType}.
 */
public final class HostTensor {
  private final ElementType type;
  private final long[] shape;
  private final byte[] data;

  /** Takes ownership of neither array: both are copied. */
  public HostTensor(ElementType type, long[] shape, byte[] littleEndianData) {
    this.type = Objects.requireNonNull(type, "type");
    this.shape = shape.clone();
    long elements = elementCount(this.shape);
    if (littleEndianData.length != elements * type.byteWidth()) {
      throw new VbLoraException("a " + type + " tensor of shape " + Arrays.toString(shape) + " needs "
          + elements * type.byteWidth() + " bytes, got " + littleEndianData.length);
    }
    this.data = littleEndianData.clone();
  }

  public static HostTensor ofFloats(long[] shape, float... values) {
    ByteBuffer buffer = allocate(values.length, 4);
    buffer.asFloatBuffer().put(values);
    return new HostTensor(ElementType.F32, shape, buffer.array());
  }

  public static HostTensor ofDoubles(long[] shape, double... values) {
    ByteBuffer buffer = allocate(values.length, 8);
    buffer.asDoubleBuffer().put(values);
    return new HostTensor(ElementType.F64, shape, buffer.array());
  }

  public static HostTensor ofLongs(long[] shape, long... values) {
    ByteBuffer buffer = allocate(values.length, 8);
    buffer.asLongBuffer().put(values);
    return new HostTensor(ElementType.I64, shape, buffer.array());
  }

  public static HostTensor ofInts(long[] shape, int... values) {
    ByteBuffer buffer = allocate(values.length, 4);
    buffer.asIntBuffer().put(values);
    return new HostTensor(ElementType.I32, shape, buffer.array());
  }

  /** Copies a TensorFlow tensor's bytes; the tensor stays owned (and closed) by the caller. */
  public static HostTensor copyOf(Tensor tensor) {
    ElementType type = ElementType.of(tensor.dataType());
    byte[] bytes = new byte[Math.toIntExact(tensor.numBytes())];
    tensor.asRawTensor().data().read(bytes);
    return new HostTensor(type, tensor.shape().asArray(), toLittleEndian(bytes, type.byteWidth()));
  }

  /** A new TensorFlow tensor holding this value; the caller must close it. */
  public Tensor toTensor() {
    byte[] nativeBytes = toLittleEndian(data, type.byteWidth()); // the swap is its own inverse
    return Tensor.of(type.tensorType(), Shape.of(shape), DataBuffers.of(nativeBytes, true, false));
  }

  public ElementType type() {
    return type;
  }

  public long[] shape() {
    return shape.clone();
  }

  public long elementCount() {
    return elementCount(shape);
  }

  /** The raw little-endian bytes (a copy). */
  public byte[] bytes() {
    return data.clone();
  }

  public float[] toFloats() {
    requireType(ElementType.F32);
    float[] out = new float[data.length / 4];
    ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
    return out;
  }

  /** Elements as doubles, for F32 and F64 tensors (F32 values widen exactly). */
  public double[] toDoubles() {
    if (type == ElementType.F32) {
      float[] floats = toFloats();
      double[] out = new double[floats.length];
      for (int i = 0; i < floats.length; i++) {
        out[i] = floats[i];
      }
      return out;
    }
    requireType(ElementType.F64);
    double[] out = new double[data.length / 8];
    ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().get(out);
    return out;
  }

  public long[] toLongs() {
    requireType(ElementType.I64);
    long[] out = new long[data.length / 8];
    ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
    return out;
  }

  public int[] toInts() {
    requireType(ElementType.I32);
    int[] out = new int[data.length / 4];
    ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(out);
    return out;
  }

  private void requireType(ElementType expected) {
    if (type != expected) {
      throw new IllegalStateException("this tensor holds " + type + " elements, not " + expected);
    }
  }

  private static ByteBuffer allocate(int count, int width) {
    return ByteBuffer.allocate(Math.multiplyExact(count, width)).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static long elementCount(long[] shape) {
    long count = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new VbLoraException("shape " + Arrays.toString(shape) + " has an unknown dimension");
      }
      count = Math.multiplyExact(count, d);
    }
    return count;
  }

  /** TensorFlow hands out bytes in native order; files and this class use little-endian. */
  private static byte[] toLittleEndian(byte[] bytes, int width) {
    if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
      return bytes;
    }
    byte[] swapped = new byte[bytes.length];
    for (int i = 0; i < bytes.length; i += width) {
      for (int j = 0; j < width; j++) {
        swapped[i + j] = bytes[i + width - 1 - j];
      }
    }
    return swapped;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HostTensor other
        && type == other.type
        && Arrays.equals(shape, other.shape)
        && Arrays.equals(data, other.data);
  }

  @Override
  public int hashCode() {
    return Objects.hash(type, Arrays.hashCode(shape), Arrays.hashCode(data));
  }

  @Override
  public String toString() {
    return "HostTensor[" + type + " " + Arrays.toString(shape) + "]";
  }
}
