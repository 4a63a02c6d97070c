package dev.finetune.vblora.ops.bench;

import dev.finetune.vblora.ops.LayerShape;
import java.util.ArrayList;
import java.util.List;

/** The kernel shapes of BERT-base's encoder (12 layers, hidden 768, FFN 3072), named as in its TF checkpoint. */
public final class BertBaseLayers {
  private BertBaseLayers() {}

  /** Every linear map: q, k, v, attention output [768, 768], FFN in [768, 3072], FFN out [3072, 768]; 72 kernels. */
  public static List<LayerShape> allLinear() {
    List<LayerShape> layers = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      String prefix = "bert/encoder/layer_" + i + "/";
      layers.add(new LayerShape(prefix + "attention/self/query/kernel", 768, 768));
      layers.add(new LayerShape(prefix + "attention/self/key/kernel", 768, 768));
      layers.add(new LayerShape(prefix + "attention/self/value/kernel", 768, 768));
      layers.add(new LayerShape(prefix + "attention/output/dense/kernel", 768, 768));
      layers.add(new LayerShape(prefix + "intermediate/dense/kernel", 768, 3072));
      layers.add(new LayerShape(prefix + "output/dense/kernel", 3072, 768));
    }
    return List.copyOf(layers);
  }
}
