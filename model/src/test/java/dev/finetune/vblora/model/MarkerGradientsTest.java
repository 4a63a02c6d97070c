package dev.finetune.vblora.model;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Which IdentityN ops get which rewrite's gradient: the marker's whole last name segment decides. */
class MarkerGradientsTest {
  @Test
  void aMarkerIsItsSuffixAsTheLastSegmentOrItsNumberedForm() {
    assertTrue(MarkerGradients.isMarker("layer_0/intermediate/vblora_gelu_tanh", GeluRecompute.MARKER_TANH));
    assertTrue(MarkerGradients.isMarker("layer_0/MatMul/vblora_factored_gradient_2", FactoredGradients.MARKER));
  }

  @Test
  void anotherNameContainingTheSuffixIsNoMarker() {
    assertFalse(MarkerGradients.isMarker("layer_0/MatMul/vblora_factored_gradient/value", FactoredGradients.MARKER));
    assertFalse(MarkerGradients.isMarker("layer_0/vblora_factored_gradient_extra", FactoredGradients.MARKER));
    assertFalse(MarkerGradients.isMarker("layer_0/my_vblora_gelu_tanh", GeluRecompute.MARKER_TANH));
    assertFalse(MarkerGradients.isMarker("vblora_gelu_tanh_/x", GeluRecompute.MARKER_TANH));
    assertFalse(MarkerGradients.isMarker("layer_0/vblora_gelu_tanh_", GeluRecompute.MARKER_TANH));
  }
}
