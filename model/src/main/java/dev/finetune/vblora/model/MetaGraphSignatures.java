package dev.finetune.vblora.model;

import dev.finetune.vblora.data.error.VbLoraException;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SignatureDef;

/** A meta graph's signature by key, for the model module's readers of a raw MetaGraphDef. */
final class MetaGraphSignatures {
  private MetaGraphSignatures() {}

  /**
   * The signature {@code key} of {@code metaGraph}.
   *
   * @throws VbLoraException when there is none of that key, listing the keys there are
   */
  static SignatureDef require(MetaGraphDef metaGraph, String key) {
    SignatureDef signature = metaGraph.getSignatureDefMap().get(key);
    if (signature == null) {
      throw new VbLoraException("the meta graph has no signature '" + key + "'; its signatures are "
          + metaGraph.getSignatureDefMap().keySet());
    }
    return signature;
  }
}
