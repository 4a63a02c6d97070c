package dev.finetune.vblora.training.checkpoint;

import java.nio.file.Path;

/**
 * A saved checkpoint: DIR/checkpoints/step-N.
 *
 * @param step the optimizer step it was saved at
 * @param dir its folder
 */
public record CheckpointRef(long step, Path dir) {}
