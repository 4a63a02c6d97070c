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
    this(folder, true);
  }

  /**
   * @param replaceable whether overwrite could replace the folder (empty, or vblora's output of the same kind); the
   *     message offers overwrite only then
   */
  public OutputFolderExistsException(String folder, boolean replaceable) {
    super(List.of("overwrite"), replaceable
        ? "output folder " + folder + " exists; set overwrite to replace it, or choose another folder"
        : "output folder " + folder + " exists and holds files vblora did not write (it has no " + OutputMarker.FILE
            + " of this kind of output); choose another folder");
    this.folder = folder;
  }

  /** The folder that exists. */
  public Path folder() {
    return Path.of(folder);
  }
}
