package dev.finetune.vblora.model;

import java.util.Optional;

/**
 * What to adapt: target pattern, optional exclusion pattern, layer filter.
 *
 * @param targets kernels to adapt
 * @param exclude kernels to leave alone even when {@code targets} selects them
 * @param layers layers to adapt
 */
public record TargetSelection(TargetPattern targets, Optional<TargetPattern> exclude, LayerFilter layers) {

  /** Targets only, no exclusion, every layer. */
  public static TargetSelection of(TargetPattern targets) {
    return new TargetSelection(targets, Optional.empty(), LayerFilter.ALL);
  }

  /**
   * From command-line values ({@code --targets}, {@code --exclude}, {@code --layers}); null or blank
   * exclude / layers mean none.
   */
  public static TargetSelection parse(String targets, String exclude, String layers) {
    return new TargetSelection(
        TargetPattern.parse(targets),
        exclude == null || exclude.isBlank() ? Optional.empty() : Optional.of(TargetPattern.parse(exclude)),
        layers == null || layers.isBlank() ? LayerFilter.ALL : LayerFilter.parse(layers));
  }

  /** For messages: {@code targets bert-qv, exclude x, layers 0-5}. */
  public String describe() {
    return "targets " + targets.describe()
        + exclude.map(e -> ", exclude " + e.describe()).orElse("")
        + (layers.isAll() ? "" : ", layers " + layers);
  }
}
