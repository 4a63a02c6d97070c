package dev.finetune.vblora.data.io;

import dev.finetune.vblora.data.error.InvalidSettingException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The output folder exists and replacing it was not allowed (the {@code overwrite} setting). It was a {@code
 * FileAlreadyExistsException} before the library's errors shared one base type.
 */
public final class OutputFolderExistsException extends InvalidSettingException {
  private static final long serialVersionUID = 1L;

  private final String folder;

  public OutputFolderExistsException(String folder) {
    this(folder, "output folder " + folder + " exists; set overwrite to replace it, or choose another folder");
  }

  private OutputFolderExistsException(String folder, String message) {
    super(List.of("overwrite"), message);
    this.folder = folder;
  }

  /**
   * The folder exists and overwrite would not replace it either ({@link AtomicDirectoryWriter#requireReplaceable}):
   * it holds files vblora did not write, or vblora output of another kind than {@code kind}. The message offers
   * another folder only.
   */
  public static OutputFolderExistsException notReplaceable(String folder, OutputMarker.Kind kind,
      Optional<OutputMarker.Kind> marked) {
    String holds = marked.map(m -> "holds " + m.description() + ", not " + kind.description())
        .orElse("holds files vblora did not write (it has no " + OutputMarker.FILE + ")");
    return new OutputFolderExistsException(folder, "output folder " + folder + " exists and " + holds
        + "; choose another folder");
  }

  /** The folder that exists. */
  public Path folder() {
    return Path.of(folder);
  }
}
