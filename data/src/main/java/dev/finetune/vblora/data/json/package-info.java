/**
 * The project's JSON, one facade over Jackson's streaming parser and generator: a strict reader, writers that
 * reproduce Python's {@code json.dumps} and serde_json byte for byte (so PEFT and safetensors files we write
 * match theirs), and typed accessors whose errors name the key.
 */
package dev.finetune.vblora.data.json;
