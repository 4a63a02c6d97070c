package dev.finetune.vblora.data.testing;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

/** The rule that keeps CI from passing by skipping (ops' copy is the same code). */
class RequiredInCiTest {
  @Test
  void inCiATestThatCannotRunFailsWithTheReason() {
    String before = System.getProperty("vblora.requireShared");
    System.setProperty("vblora.requireShared", "true");
    try {
      assertTrue(RequiredInCi.active());
      AssertionFailedError e = assertThrows(AssertionFailedError.class, () -> RequiredInCi.skip("no BERT jar"));
      assertTrue(e.getMessage().startsWith("no BERT jar; it is required in CI"), e.getMessage());
      RequiredInCi.assume(true, "a condition that holds neither skips nor fails");
    } finally {
      if (before == null) {
        System.clearProperty("vblora.requireShared");
      } else {
        System.setProperty("vblora.requireShared", before);
      }
    }
  }
}
