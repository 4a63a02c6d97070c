/**
 * From trained variables to the artifacts: PEFT adapter folders, merged SavedModels, and back (adapter folder
 * to per-kernel deltas and head, for merge and eval, without any training code).
 */
package dev.finetune.vblora.training.export;
