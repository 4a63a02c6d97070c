/** AdamW with parameter groups, gradient clipping and the learning-rate schedule, as graph ops. */
package dev.finetune.vblora.training.optim;
