/**
 * The project's file plumbing, in one place for every module (with JSON beside it in
 * {@code dev.finetune.vblora.data.json}): writes that never leave a half-written result where a complete one
 * was expected, for one file ({@link dev.finetune.vblora.data.io.AtomicFile}) and for a folder of several
 * ({@link dev.finetune.vblora.data.io.AtomicDirectoryWriter}, which marks what it wrote with
 * {@link dev.finetune.vblora.data.io.OutputMarker} so that an overwrite replaces only a folder of the same
 * kind), and the check that an output folder does not hold or sit inside an input
 * ({@link dev.finetune.vblora.data.io.OutputOverlap}). It lives in data, the module that depends on nothing of
 * ours, so that every module can use it.
 */
package dev.finetune.vblora.data.io;
