package dev.finetune.vblora.training;

import java.nio.file.Path;
import java.util.List;

/**
 * What {@link VbLora#merge} wrote.
 *
 * @param out the merged SavedModel folder
 * @param kernels the kernels the adapter's deltas were added to
 * @param head whether the adapter's task head was added (else the merge is weights-only)
 * @param warnings what the caller should be told, e.g. that the base model already held another adapter
 * @param millis wall time of the merge
 */
public record MergeResult(Path out, int kernels, boolean head, List<String> warnings, double millis) {
  public MergeResult {
    warnings = List.copyOf(warnings);
  }
}
