package dev.finetune.vblora.savedmodel.adapter;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Bit patterns checked against numpy's float16 and the bfloat16 definition (top half of a float32). */
class HalfPrecisionTest {
  @ParameterizedTest(name = "f16 0x{0} = {1}")
  @CsvSource({
      "3c00, 1.0", "c000, -2.0", "7bff, 65504.0", "0001, 5.9604645E-8", "0400, 6.1035156E-5",
      "7c00, Infinity", "8000, -0.0", "3555, 0.33325195"})
  void decodesFloat16(String hex, float value) {
    assertEquals(value, HalfPrecision.f16ToFloat((short) Integer.parseInt(hex, 16)));
  }

  @ParameterizedTest(name = "{0} -> f16 0x{1}")
  @CsvSource({
      "1.0, 3c00", "65520.0, 7c00", "65519.0, 7bff", "2.9802322E-8, 0000", "4.4703484E-8, 0001",
      "0.1, 2e66", "-2.0, c000", "1.0E-8, 0000", "8.940697E-8, 0002"})
  void encodesFloat16RoundingToNearestEven(float value, String hex) {
    assertEquals(Integer.parseInt(hex, 16), HalfPrecision.floatToF16(value) & 0xffff);
  }

  @ParameterizedTest(name = "{0} -> bf16 0x{1}")
  @CsvSource({"1.0, 3f80", "1.00390625, 3f80", "1.01171875, 3f82", "-0.375, bec0", "3.0E38, 7f62"})
  void encodesBfloat16RoundingToNearestEven(float value, String hex) {
    short bits = HalfPrecision.floatToBf16(value);
    assertEquals(Integer.parseInt(hex, 16), bits & 0xffff);
    assertEquals(Float.intBitsToFloat(Integer.parseInt(hex, 16) << 16), HalfPrecision.bf16ToFloat(bits));
  }
}
