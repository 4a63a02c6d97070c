/** Evaluation metrics (scikit-learn's definitions) and the rule that picks the best checkpoint. */
package dev.finetune.vblora.training.metrics;
