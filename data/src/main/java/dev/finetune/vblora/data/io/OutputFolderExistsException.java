package dev.finetune.vblora.data.io;

import java.nio.file.FileAlreadyExistsException;

/** The output folder exists and replacing it was not allowed. */
public final class OutputFolderExistsException extends FileAlreadyExistsException {
  private static final long serialVersionUID = 1L;

  public OutputFolderExistsException(String folder) {
    super(folder);
  }

  @Override
  public String getMessage() {
    return "output folder " + getFile() + " exists; pass --overwrite";
  }
}
