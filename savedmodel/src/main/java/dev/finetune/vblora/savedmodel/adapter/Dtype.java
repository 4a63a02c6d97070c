package dev.finetune.vblora.savedmodel.adapter;

import java.util.Arrays;
import java.util.List;

/**
 * Element types of a safetensors file that this package reads and writes.
 *
 * <p>The declaration order is the safetensors library's own {@code Dtype} order (increasing alignment); the
 * library lays tensors out in a file by descending dtype in that order, then by name, and so does
 * {@link SafetensorsWriter}.
 */
public enum Dtype {
  BOOL(1),
  U8(1),
  I8(1),
  I16(2),
  U16(2),
  F16(2),
  BF16(2),
  I32(4),
  U32(4),
  F32(4),
  F64(8),
  I64(8),
  U64(8);

  /** Valid safetensors dtypes that this package does not decode. */
  private static final List<String> KNOWN_UNSUPPORTED =
      List.of("F4", "F6_E2M3", "F6_E3M2", "F8_E5M2", "F8_E4M3", "F8_E8M0", "C64");

  private final int byteSize;

  Dtype(int byteSize) {
    this.byteSize = byteSize;
  }

  public int byteSize() {
    return byteSize;
  }

  public boolean isFloatingPoint() {
    return this == F16 || this == BF16 || this == F32 || this == F64;
  }

  public boolean isInteger() {
    return !isFloatingPoint() && this != BOOL;
  }

  /**
   * The largest relative error of rounding a number to this floating-point dtype (half the distance from 1 to the
   * next value): 2^-11 for F16, 2^-8 for BF16, 2^-24 for F32, 2^-53 for F64.
   */
  public double unitRoundoff() {
    return switch (this) {
      case F16 -> 0x1p-11;
      case BF16 -> 0x1p-8;
      case F32 -> 0x1p-24;
      case F64 -> 0x1p-53;
      default -> throw new IllegalStateException(this + " is not a floating-point dtype");
    };
  }

  /** The dtype named {@code name} in a header, or an error naming the tensor and the file. */
  static Dtype parse(String name, String tensorName, String source) throws AdapterFormatException {
    for (Dtype dtype : values()) {
      if (dtype.name().equals(name)) {
        return dtype;
      }
    }
    if (KNOWN_UNSUPPORTED.contains(name)) {
      throw new AdapterFormatException(source, "tensor \"" + tensorName + "\" has dtype " + name
          + ", which is valid safetensors but not supported here; supported: " + Arrays.toString(values()));
    }
    throw new AdapterFormatException(source, "tensor \"" + tensorName + "\" has unknown dtype \"" + name
        + "\"; supported: " + Arrays.toString(values()));
  }
}
