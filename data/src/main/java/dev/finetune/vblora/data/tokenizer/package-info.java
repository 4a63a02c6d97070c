/** BERT's WordPiece tokenizer, driven by a model's own vocab.txt and matching Hugging Face's ids. */
package dev.finetune.vblora.data.tokenizer;
