package dev.finetune.vblora.model;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Every kernel's VB-LoRA sub-vector choices in one table, so that a multi-adapter graph composes the sub-vectors
 * of all kernels with one gather of the chosen bank rows and one weighted sum, instead of a handful of small ops
 * per kernel (on a GPU each op costs its launch, which dominated the update's cost). Rows are [slots, rows, k]:
 * per kernel first A's rows in (rank, tile) order, then B's, reordered from PEFT's (tile, rank) to (rank, tile)
 * so that both factors are a plain reshape of their rows: A [rank, tilesIn * b], B [rank, tilesOut * b].
 * A kernel whose k is below the table's is padded with weight 0.
 *
 * @param indices [slots, rows, topk] rows of the stacked bank
 * @param weights [slots, rows, topk]
 * @param offsets per kernel variable, the first row of its A and of its B
 */
record SubVectorTable(int slots, int rows, int topk, int[] indices, float[] weights, Map<String, int[]> offsets) {

  /** The table of {@code adapters}' VB-LoRA kernels, or null when no kernel has a VB-LoRA update. */
  static SubVectorTable of(StackedAdapters adapters) {
    int rows = 0;
    int topk = 0;
    Map<String, int[]> offsets = new LinkedHashMap<>();
    for (Map.Entry<String, StackedAdapters.KernelSlots> e : adapters.kernels().entrySet()) {
      if (e.getValue().vbLora().isPresent()) {
        StackedAdapters.VbLoraSlots v = e.getValue().vbLora().get();
        offsets.put(e.getKey(), new int[] {rows, rows + v.rank() * v.tilesIn()});
        rows += v.rank() * (v.tilesIn() + v.tilesOut());
        topk = Math.max(topk, v.topk());
      }
    }
    if (offsets.isEmpty()) {
      return null;
    }
    int slots = adapters.slots();
    int[] indices = new int[slots * rows * topk];
    float[] weights = new float[indices.length];
    for (Map.Entry<String, int[]> e : offsets.entrySet()) {
      StackedAdapters.VbLoraSlots v = adapters.kernels().get(e.getKey()).vbLora().orElseThrow();
      int r = v.rank();
      int k = v.topk();
      for (int s = 0; s < slots; s++) {
        for (int i = 0; i < r; i++) {
          for (int t = 0; t < v.tilesIn(); t++) {
            int from = ((s * r + i) * v.tilesIn() + t) * k;
            copy(v.indicesA(), v.weightsA(), from, k, indices, weights, (s * rows + e.getValue()[0] + i * v.tilesIn()
                + t) * topk);
          }
          for (int t = 0; t < v.tilesOut(); t++) {
            int from = ((s * v.tilesOut() + t) * r + i) * k;
            copy(v.indicesB(), v.weightsB(), from, k, indices, weights, (s * rows + e.getValue()[1] + i * v.tilesOut()
                + t) * topk);
          }
        }
      }
    }
    return new SubVectorTable(slots, rows, topk, indices, weights, offsets);
  }

  private static void copy(int[] fromIndices, float[] fromWeights, int from, int k, int[] toIndices,
      float[] toWeights, int to) {
    System.arraycopy(fromIndices, from, toIndices, to, k);
    System.arraycopy(fromWeights, from, toWeights, to, k);
  }
}
