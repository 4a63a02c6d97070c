/**
 * Observers of a training run: progress bar, JSONL log, TensorBoard events and a curve plot. The loop
 * reports only through {@link dev.finetune.vblora.training.listen.TrainingListener}.
 */
package dev.finetune.vblora.training.listen;
