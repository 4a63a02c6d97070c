package dev.finetune.vblora.savedmodel;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.proto.TensorShapeProto;

/** Test-side shape conversion, written apart from the production code it checks. */
final class TensorSpecShapes {
  private TensorSpecShapes() {}

  static List<Long> of(TensorShapeProto shape) {
    List<Long> dims = new ArrayList<>();
    shape.getDimList().forEach(d -> dims.add(d.getSize()));
    return dims;
  }
}
