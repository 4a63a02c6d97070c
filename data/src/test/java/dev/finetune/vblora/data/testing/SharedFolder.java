package dev.finetune.vblora.data.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The team's shared test material (../shared: data, tokenizer goldens). The data module depends on none of
 * ours, so this is its own copy of ops' SharedFolder, with the same behaviour.
 *
 * <p>A user's clone has no ../shared, so tests that need it are skipped with a visible reason. CI exports
 * {@code VBLORA_SHARED} (see .ci/run): a folder named that way is mandatory, so a missing one fails the
 * tests instead of skipping them (the rule is {@link RequiredInCi}'s, for every test that cannot run here).
 */
public final class SharedFolder {
  private SharedFolder() {}

  /** The shared folder, or abort/fail the calling test when it is missing. */
  public static Path root() {
    String exported = System.getenv("VBLORA_SHARED");
    String configured = exported != null ? exported : System.getProperty("vblora.shared");
    Path root = configured == null ? Path.of("..", "..", "shared") : Path.of(configured);
    if (!Files.isDirectory(root)) {
      String reason = "shared test material not found at " + root.toAbsolutePath().normalize()
          + " (set VBLORA_SHARED=PATH or -Dvblora.shared=PATH)";
      RequiredInCi.skip(reason);
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
