/** Training checkpoints: tensors plus state, published atomically, pruned to the newest and the best. */
package dev.finetune.vblora.training.checkpoint;
