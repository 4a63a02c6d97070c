/**
 * Model I/O by role: which signature inputs take token ids, mask and types (or feature arrays), and which output
 * is trained (a new head on features, or the model's own output with the loss that fits it). Resolved once from
 * the signature and the graph, overridable, and saved with the run.
 */
package dev.finetune.vblora.training.io;
