package dev.finetune.vblora.training.cli;

import dev.finetune.vblora.data.error.VbLoraException;
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
}
