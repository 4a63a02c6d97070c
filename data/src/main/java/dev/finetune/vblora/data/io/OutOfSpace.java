package dev.finetune.vblora.data.io;

/**
 * Whether a failed write ran out of space, the one failure whose remedy is to free some: other I/O errors (a
 * read-only file system, a missing permission) once got that advice too.
 */
public final class OutOfSpace {
  private OutOfSpace() {}

  /**
   * Whether {@code e} or one of its causes says the disk is full (ENOSPC), a quota is used up (EDQUOT), or a file
   * grew past the size limit of the process (EFBIG, ulimit -f), which is a space limit too.
   */
  public static boolean causes(Throwable e) {
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      String message = cause.getMessage();
      if (message != null && (message.contains("No space left") || message.contains("Disk quota exceeded")
          || message.contains("File too large"))) {
        return true;
      }
    }
    return false;
  }
}
