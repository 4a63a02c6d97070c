/** Encoded datasets and their batches: dynamic padding to length buckets, epochs reproducible from a seed. */
package dev.finetune.vblora.data.batch;
