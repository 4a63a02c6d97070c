package dev.finetune.vblora.savedmodel;

import java.nio.file.Path;

/**
 * An asset file the meta graph declares (AssetFileDef), e.g. a tokenizer vocabulary.
 *
 * @param tensorName the graph tensor that receives the file's path at load time, e.g.
 *     {@code module/vocab_file:0}
 * @param filename the file name under {@code assets/}
 * @param path where the file is in this SavedModel
 */
public record AssetInfo(String tensorName, String filename, Path path) {}
