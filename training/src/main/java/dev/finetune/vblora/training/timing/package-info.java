/** Where a whole run's wall time goes: phases from process start to the last artifact, and XLA compilations. */
package dev.finetune.vblora.training.timing;
