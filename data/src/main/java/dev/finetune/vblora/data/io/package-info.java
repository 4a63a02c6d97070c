/** File writing that never leaves a half-written file where a complete one was expected. */
package dev.finetune.vblora.data.io;
