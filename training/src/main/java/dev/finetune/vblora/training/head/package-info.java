/** Task heads on the model's pooled output: classification and regression, with their losses. */
package dev.finetune.vblora.training.head;
