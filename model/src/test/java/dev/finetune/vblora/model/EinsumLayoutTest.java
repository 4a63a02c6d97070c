package dev.finetune.vblora.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EinsumLayoutTest {
  private static List<Long> shape(String dims) {
    return Arrays.stream(dims.split("x")).map(Long::valueOf).collect(Collectors.toList());
  }

  @ParameterizedTest(name = "{0} weight {1} {2} -> [{3}, {4}]")
  @CsvSource({
      "'abc,cde->abde', 1, 768x12x64, 768, 768",     // MultiHeadAttention query/key/value
      "'abcd,cde->abe', 1, 12x64x768, 768, 768",     // its output projection
      "'ixjk,kl->ixjl', 1, 32x16, 32, 16",           // a custom dense over the last axis
      "'abc,cd->abd', 1, 768x3072, 768, 3072",       // Model Garden's intermediate (EinsumDense)
      "'cd,abc->abd', 0, 8x4, 8, 4",                 // kernel as the first operand
      "'...c,cd->...d', 1, 8x4, 8, 4",               // ellipsis in the activation
  })
  void linearMaps(String equation, int weightInput, String kernel, long in, long out) {
    assertArrayEquals(new long[] {in, out}, EinsumLayout.features(equation, weightInput, shape(kernel)).orElseThrow());
  }

  @ParameterizedTest(name = "{0} weight {1} {2} is no linear map")
  @CsvSource({
      "'abc,acd->abd', 1, 4x8x2",    // 'a' is a batch letter of the kernel
      "'abc,cd->ab', 1, 8x4",        // 'd' summed over the kernel alone
      "'ab,bc', 1, 4x4",             // implicit output
      "'abc,cde->abde', 1, 768x12",  // rank does not match the equation
      "'ab,...c->abc', 1, 4x4",      // ellipsis in the kernel
  })
  void notLinearMaps(String equation, int weightInput, String kernel) {
    assertTrue(EinsumLayout.features(equation, weightInput, shape(kernel)).isEmpty());
  }

  @ParameterizedTest(name = "{0} weight {1}: reshaped matmul {2}")
  @CsvSource({
      "'abc,cde->abde', 1, true",   // MultiHeadAttention query/key/value: [b*s, c] x [c, d*e]
      "'abcd,cde->abe', 1, true",   // its output projection: [b*s, c*d] x [c*d, e]
      "'ixjk,kl->ixjl', 1, true",
      "'abc,cd->abd', 1, true",     // Model Garden's intermediate and output: [b*s, c] x [c, d]
      "'ab,bc->ac', 1, true",
      "'abc,cde->adbe', 1, false",  // output letters not in activation-then-kernel order
      "'abcd,dce->abe', 1, false",  // kernel's input letters in another order than the activation's
      "'acb,cde->abde', 1, false",  // contracted letter not trailing
      "'cd,abc->abd', 0, false",    // kernel first
      "'...c,cd->...d', 1, false",  // ellipsis
  })
  void matmulLike(String equation, int weightInput, boolean expected) {
    assertEquals(expected, EinsumLayout.matmulLike(equation, weightInput));
  }
}
