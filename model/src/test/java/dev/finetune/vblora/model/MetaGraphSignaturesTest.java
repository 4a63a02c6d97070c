package dev.finetune.vblora.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.finetune.vblora.data.error.VbLoraException;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SignatureDef;

class MetaGraphSignaturesTest {
  private final SignatureDef serving = SignatureDef.newBuilder().setMethodName("tensorflow/serving/predict").build();
  private final MetaGraphDef metaGraph = MetaGraphDef.newBuilder().putSignatureDef("serving_default", serving)
      .build();

  @Test
  void aSignatureIsFoundByItsKey() {
    assertEquals(serving, MetaGraphSignatures.require(metaGraph, "serving_default"));
  }

  @Test
  void anUnknownKeyListsTheKeysThereAre() {
    VbLoraException e = assertThrows(VbLoraException.class, () -> MetaGraphSignatures.require(metaGraph, "serve"));
    assertEquals("the meta graph has no signature 'serve'; its signatures are [serving_default]", e.getMessage());
  }
}
