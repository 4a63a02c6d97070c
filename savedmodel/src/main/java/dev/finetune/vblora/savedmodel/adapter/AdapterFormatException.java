package dev.finetune.vblora.savedmodel.adapter;

import java.io.IOException;

/**
 * A file that exists but is not what it should be: a corrupt or truncated safetensors file, an
 * adapter_config.json with a wrong field, an adapter whose tensors do not fit its config. The message names
 * the file and the problem.
 */
public class AdapterFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  public AdapterFormatException(String source, String problem) {
    super(source + ": " + problem);
  }

  public AdapterFormatException(String source, String problem, Throwable cause) {
    super(source + ": " + problem, cause);
  }
}
