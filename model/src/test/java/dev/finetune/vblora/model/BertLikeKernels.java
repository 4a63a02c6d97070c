package dev.finetune.vblora.model;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/** Kernel records named and sized like BERT-base's, written by hand (no discovery involved). */
final class BertLikeKernels {
  private BertLikeKernels() {}

  static List<Kernel> all() {
    List<Kernel> kernels = new ArrayList<>();
    for (int layer = 0; layer < 12; layer++) {
      String prefix = "module/bert/encoder/layer_" + layer + "/";
      kernels.add(kernel(prefix + "attention/self/query/kernel", 768, 768, layer));
      kernels.add(kernel(prefix + "attention/self/key/kernel", 768, 768, layer));
      kernels.add(kernel(prefix + "attention/self/value/kernel", 768, 768, layer));
      kernels.add(kernel(prefix + "attention/output/dense/kernel", 768, 768, layer));
      kernels.add(kernel(prefix + "intermediate/dense/kernel", 768, 3072, layer));
      kernels.add(kernel(prefix + "output/dense/kernel", 3072, 768, layer));
    }
    kernels.add(new Kernel("module/bert/pooler/dense/kernel", "module/bert/pooler/dense/kernel",
        List.of(768L, 768L), 768, 768, OptionalInt.empty(), true, List.of(use("module/bert/pooler/dense/kernel"))));
    return kernels;
  }

  static Kernel kernel(String name, long in, long out, int layer) {
    return new Kernel(name, name, List.of(in, out), in, out, OptionalInt.of(layer), false, List.of(use(name)));
  }

  private static KernelUse use(String variable) {
    return new KernelUse("serve/" + variable.replace("/kernel", "/MatMul"), "MatMul", 1, false, false, "", "");
  }
}
