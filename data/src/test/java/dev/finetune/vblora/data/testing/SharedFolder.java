package dev.finetune.vblora.data.testing;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The team's shared test material (../shared: data, tokenizer goldens). The data module depends on none of
 * ours, so this is its own copy of ops' SharedFolder, with the same behaviour: a user's clone has no
 * ../shared and the tests that need it are skipped with a visible reason, while CI passes
 * {@code -Dvblora.requireShared=true}, which turns that skip into a failure.
 */
public final class SharedFolder {
  private SharedFolder() {}

  /** The shared folder, or abort/fail the calling test when it is missing. */
  public static Path root() {
    String configured = System.getProperty("vblora.shared", System.getenv("VBLORA_SHARED"));
    Path root = configured == null ? Path.of("..", "..", "shared") : Path.of(configured);
    if (!Files.isDirectory(root)) {
      String reason = "shared test material not found at " + root.toAbsolutePath().normalize()
          + " (set -Dvblora.shared=PATH or VBLORA_SHARED)";
      if (Boolean.parseBoolean(System.getProperty("vblora.requireShared", "false"))) {
        fail(reason + "; it is required in this run (vblora.requireShared=true)");
      }
      abort(reason);
    }
    return root;
  }

  /** A path under the shared folder that must exist. */
  public static Path resolve(String relative) {
    Path p = root().resolve(relative);
    if (!Files.exists(p)) {
      fail("shared test material is incomplete: " + p.toAbsolutePath().normalize() + " is missing");
    }
    return p;
  }
}
