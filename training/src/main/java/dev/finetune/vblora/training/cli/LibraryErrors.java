package dev.finetune.vblora.training.cli;

import dev.finetune.vblora.data.tokenizer.TokenizerException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;

/** A library exception's message as the command line says it: with option names where the library names settings. */
final class LibraryErrors {
  private LibraryErrors() {}

  static String describe(Exception e) {
    if (e instanceof TokenizerException t) {
      return TokenizerFlags.describe(t);
    }
    // Seam for the library's one exception base type (issue 15, i15-api): it names settings in API terms and
    // lists them, e.g. VbLoraException.settings() = [textColumn]; the command line says them as flags:
    //   if (e instanceof VbLoraException v) return FlagNames.translate(v.getMessage(), v.settings());
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    if (e instanceof NoSuchFileException) {
      return "no such file: " + message;
    }
    if (e instanceof AccessDeniedException) {
      return "permission denied: " + message;
    }
    return message;
  }
}
