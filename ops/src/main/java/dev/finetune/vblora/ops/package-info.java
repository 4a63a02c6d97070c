/** VB-LoRA and LoRA as TensorFlow graph ops. */
package dev.finetune.vblora.ops;
