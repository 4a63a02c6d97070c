package dev.finetune.vblora.training;

import java.nio.file.Path;

/**
 * What {@link VbLora#merge} wrote.
 *
 * @param out the merged SavedModel folder
 * @param kernels the kernels the adapter's deltas were added to
 * @param head whether the adapter's task head was added (else the merge is weights-only)
 * @param millis wall time of the merge
 */
public record MergeResult(Path out, int kernels, boolean head, double millis) {}
