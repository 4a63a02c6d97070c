/** Checks that stop a run before it saves broken state. */
package dev.finetune.vblora.training.guard;
