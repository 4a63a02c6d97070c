package dev.finetune.vblora.data.io;

import dev.finetune.vblora.data.error.InvalidSettingException;
import java.nio.file.Path;
import java.util.List;

/**
 * The output folder exists and replacing it was not allowed (the {@code overwrite} setting). It was a {@code
 * FileAlreadyExistsException} before the library's errors shared one base type.
 */
public final class OutputFolderExistsException extends InvalidSettingException {
  private static final long serialVersionUID = 1L;

  private final String folder;

  public OutputFolderExistsException(String folder) {
    super(List.of("overwrite"), "output folder " + folder + " exists; set overwrite to replace it, or choose"
        + " another folder");
    this.folder = folder;
  }

  /** The folder that exists. */
  public Path folder() {
    return Path.of(folder);
  }
}
