package dev.finetune.vblora.training.cli;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.data.tokenizer.TokenizerException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.Optional;
import org.tensorflow.exceptions.TensorFlowException;

/** A library exception's message as the command line says it: with option names where the library names settings. */
final class LibraryErrors {
  /** What TensorFlow's tensor bundle reader says of bytes that do not match their stored checksum. */
  private static final String CHECKSUM_MISMATCH = "Checksum does not match";

  private LibraryErrors() {}

  static String describe(Exception e) {
    if (e instanceof TokenizerException t) {
      return TokenizerFlags.describe(t);
    }
    if (e instanceof VbLoraException v) {
      return SettingFlags.translate(v); // names settings in API terms and lists them: said here as flags
    }
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    if (e instanceof NoSuchFileException) {
      return "no such file: " + message;
    }
    if (e instanceof AccessDeniedException) {
      return "permission denied: " + message;
    }
    return message;
  }

  /**
   * A variables file whose bytes no longer match their checksums (a copy damaged on disk or on its way) passes every
   * check of its size and index, and fails only when TensorFlow restores it inside a session, with DATA_LOSS: said
   * as the damaged file it is, with the way out, rather than as an unexpected error.
   */
  static Optional<String> damagedVariables(Exception e) {
    String message = e.getMessage();
    if (!(e instanceof TensorFlowException) || message == null || !message.contains(CHECKSUM_MISMATCH)) {
      return Optional.empty();
    }
    return Optional.of("a SavedModel's variables are damaged (" + message.lines().findFirst().orElseThrow().trim()
        + "); copy the whole SavedModel folder again from where it came from, or export it again");
  }
}
