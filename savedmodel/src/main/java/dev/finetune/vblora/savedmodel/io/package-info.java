/**
 * Model I/O by role: which signature inputs take token ids, mask and types (or feature arrays), and which output
 * is trained (a new head on features, or the model's own output with the loss that fits it). Resolved once from
 * the signature and the graph, overridable, and saved with the run. It lives beside the SavedModel reader, not
 * in training, because the deploy path reads it too: a merged head finds its mask input through it, and
 * {@code vblora merge} must need nothing of the trainer.
 */
package dev.finetune.vblora.savedmodel.io;
