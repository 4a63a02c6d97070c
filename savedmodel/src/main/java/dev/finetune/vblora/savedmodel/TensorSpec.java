package dev.finetune.vblora.savedmodel;

import java.util.List;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorInfo;

/**
 * One input or output of a signature.
 *
 * @param tensorName the graph tensor, e.g. {@code input_ids:0}
 * @param dtype element type
 * @param shape dimensions, -1 where unknown; empty when the rank is unknown or the tensor is a scalar
 * @param rankKnown false when the signature declares no rank at all
 */
public record TensorSpec(String tensorName, DataType dtype, List<Long> shape, boolean rankKnown) {
  public TensorSpec {
    shape = List.copyOf(shape);
  }

  static TensorSpec of(TensorInfo info) {
    boolean known = info.hasTensorShape() && !info.getTensorShape().getUnknownRank();
    List<Long> dims = known ? TensorBundleIndex.dims(info.getTensorShape()) : List.of();
    // Composite (sparse, ragged) tensors have no plain name; their description stands in for it.
    String name = info.hasCooSparse() ? info.getCooSparse().getValuesTensorName() : info.getName();
    return new TensorSpec(name, info.getDtype(), dims, known);
  }
}
