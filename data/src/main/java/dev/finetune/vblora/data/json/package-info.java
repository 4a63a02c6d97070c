/**
 * The project's JSON, one facade over Jackson's streaming parser and generator: a strict reader, writers that
 * reproduce Python's {@code json.dumps} and serde_json byte for byte (so PEFT and safetensors files we write
 * match theirs), and typed accessors whose errors name the key. Every module reads and writes JSON through it;
 * with {@code dev.finetune.vblora.data.io} (atomic file and folder writes) it is the project's shared plumbing.
 */
package dev.finetune.vblora.data.json;
