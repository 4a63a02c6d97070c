package dev.finetune.vblora.savedmodel.adapter;

import dev.finetune.vblora.data.error.VbLoraException;

/**
 * A file that exists but is not what it should be: a corrupt or truncated safetensors file, an
 * adapter_config.json with a wrong field, an adapter whose tensors do not fit its config. The message names
 * the file and the problem. (An {@code IOException} before the library's errors shared {@link VbLoraException};
 * the readers still declare {@code IOException} for the files themselves.)
 */
public class AdapterFormatException extends VbLoraException {
  private static final long serialVersionUID = 1L;

  public AdapterFormatException(String source, String problem) {
    super(source + ": " + problem);
  }

  public AdapterFormatException(String source, String problem, Throwable cause) {
    super(source + ": " + problem, cause);
  }
}
