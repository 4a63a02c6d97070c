package dev.finetune.vblora.ops.testing;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

/**
 * The one rule for every test that cannot run here: on a user's clone it is skipped with the reason printed;
 * in CI it fails, so that CI can never pass by skipping. CI is any run with {@code VBLORA_SHARED} exported
 * (.ci/run does), {@code CI=true} (what CI services set) or {@code -Dvblora.requireShared=true}.
 *
 * <p>Other modules use it through the ops test-jar; data has its own copy.
 */
public final class RequiredInCi {
  private RequiredInCi() {}

  /** Whether this run is CI, where nothing may be skipped. */
  public static boolean active() {
    return System.getenv("VBLORA_SHARED") != null
        || "true".equalsIgnoreCase(System.getenv("CI"))
        || Boolean.parseBoolean(System.getProperty("vblora.requireShared", "false"));
  }

  /** Skips the calling test with {@code reason}, or fails it in CI. */
  public static void skip(String reason) {
    if (active()) {
      fail(reason + "; it is required in CI (VBLORA_SHARED is set, CI=true or vblora.requireShared=true)");
    }
    // Surefire's summary only counts skips; say why on the console as well.
    System.err.println("SKIPPED: " + reason);
    abort(reason);
  }

  /** Skips the calling test (or fails it in CI) unless {@code condition} holds. */
  public static void assume(boolean condition, String reason) {
    if (!condition) {
      skip(reason);
    }
  }
}
