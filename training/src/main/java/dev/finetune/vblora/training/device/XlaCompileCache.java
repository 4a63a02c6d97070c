package dev.finetune.vblora.training.device;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * TensorFlow's persistent XLA compilation cache: with {@code TF_XLA_FLAGS=--tf_xla_persistent_cache_directory=DIR}
 * every executable XLA compiles is also written to DIR, and a later process that compiles the same cluster for
 * the same shapes loads it instead. TensorFlow reads the variable once, natively, when the process starts, so
 * Java cannot set it: the {@code vblora} launcher does (see docs/cli.md), and this class reads where it points.
 */
public final class XlaCompileCache {
  public static final String VARIABLE = "TF_XLA_FLAGS";
  public static final String FLAG = "--tf_xla_persistent_cache_directory";

  private XlaCompileCache() {}

  /** The cache folder this process's TensorFlow uses, if any. */
  public static Optional<Path> directory() {
    return directoryIn(Optional.ofNullable(System.getenv(VARIABLE)).orElse(""));
  }

  static Optional<Path> directoryIn(String flags) {
    return FlagString.lastValue(flags, FLAG).filter(v -> !v.isEmpty()).map(Path::of); // the last one wins
  }

  /** Entries (files) in the cache folder now; 0 when there is none or it cannot be read. */
  public static long entries(Optional<Path> directory) {
    if (directory.isEmpty() || !Files.isDirectory(directory.get())) {
      return 0;
    }
    try (Stream<Path> files = Files.walk(directory.get())) {
      return files.filter(Files::isRegularFile).count();
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }
}
