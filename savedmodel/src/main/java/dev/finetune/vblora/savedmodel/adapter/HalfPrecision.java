package dev.finetune.vblora.savedmodel.adapter;

/**
 * IEEE binary16 and bfloat16 conversions (Java 17 has no Float.float16ToFloat). Narrowing rounds to nearest,
 * ties to even, as PyTorch's casts do.
 */
final class HalfPrecision {
  private HalfPrecision() {}

  static float bf16ToFloat(short bits) {
    return Float.intBitsToFloat((bits & 0xffff) << 16);
  }

  static short floatToBf16(float value) {
    int bits = Float.floatToRawIntBits(value);
    if (Float.isNaN(value)) {
      return (short) ((bits >>> 16) | 0x40); // keep it a quiet NaN after truncation
    }
    int roundingBias = 0x7fff + ((bits >>> 16) & 1);
    return (short) ((bits + roundingBias) >>> 16);
  }

  static float f16ToFloat(short half) {
    int h = half & 0xffff;
    int sign = (h & 0x8000) << 16;
    int exponent = (h >>> 10) & 0x1f;
    int mantissa = h & 0x3ff;
    if (exponent == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
    }
    if (exponent == 0) {
      // zero or subnormal: mantissa * 2^-24, exact in float
      float magnitude = mantissa * 0x1p-24f;
      return sign == 0 ? magnitude : -magnitude;
    }
    return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
  }

  static short floatToF16(float value) {
    int bits = Float.floatToRawIntBits(value);
    int sign = (bits >>> 16) & 0x8000;
    int exponent = (bits >>> 23) & 0xff;
    int mantissa = bits & 0x7fffff;
    if (exponent == 0xff) {
      return (short) (sign | 0x7c00 | (mantissa != 0 ? 0x200 : 0));
    }
    int halfExponent = exponent - 112;
    if (halfExponent >= 0x1f) {
      return (short) (sign | 0x7c00);
    }
    if (halfExponent <= 0) {
      if (halfExponent < -10) {
        return (short) sign; // rounds to zero
      }
      int full = mantissa | 0x800000;
      int shift = 14 - halfExponent;
      int result = full >>> shift;
      int remainder = full & ((1 << shift) - 1);
      int half = 1 << (shift - 1);
      if (remainder > half || (remainder == half && (result & 1) != 0)) {
        result++;
      }
      return (short) (sign | result);
    }
    int result = (halfExponent << 10) | (mantissa >>> 13);
    int remainder = mantissa & 0x1fff;
    if (remainder > 0x1000 || (remainder == 0x1000 && (result & 1) != 0)) {
      result++; // may carry into the exponent, which is the correct rounding (up to infinity)
    }
    return (short) (sign | result);
  }
}
