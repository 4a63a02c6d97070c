package dev.finetune.vblora.savedmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import org.junit.jupiter.api.Test;

class VbloraVersionTest {
  /** The build passes the pom's project version to the tests (surefire), independently of the resource. */
  static String projectVersion() {
    String version = System.getProperty("vblora.projectVersion");
    assertNotNull(version, "surefire sets vblora.projectVersion from the pom; run the tests through Maven");
    return version;
  }

  @Test
  void theVersionIsTheMavenProjectVersion() {
    assertEquals(projectVersion(), VbloraVersion.current());
  }
}
