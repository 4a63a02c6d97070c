/** vblora training. */
package dev.finetune.vblora.training;
