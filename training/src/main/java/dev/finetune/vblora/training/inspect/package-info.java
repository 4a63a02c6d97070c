/**
 * The {@code vblora inspect} report: a model's signatures, its adaptable kernels, what a target selection picks
 * and the adapter's parameter counts. It lives in training, beside the planning it previews, so that savedmodel
 * (reading and writing artifacts) needs nothing of model's discovery and selection beyond what merging uses.
 */
package dev.finetune.vblora.training.inspect;
