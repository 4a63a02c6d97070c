package dev.finetune.vblora.ops.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Fetches an artifact into a local Maven repository for the tests, with {@code mvn dependency:get} (the test
 * run has Maven by definition). The product's library never does this: it only reads the repository, and the
 * CLI fetches what it needs itself.
 */
public final class MavenArtifacts {
  private MavenArtifacts() {}

  /**
   * Runs {@code mvn dependency:get} for {@code coordinates} into {@code repository}.
   *
   * @return "" when Maven exited 0, otherwise what went wrong (for a skip or failure message)
   */
  public static String fetch(String coordinates, Path repository) {
    ProcessBuilder maven = new ProcessBuilder("mvn", "-q", "-B", "dependency:get", "-Dtransitive=false",
        "-Dartifact=" + coordinates, "-Dmaven.repo.local=" + repository.toAbsolutePath())
        .redirectErrorStream(true);
    try {
      Process process = maven.start();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      int exit = process.waitFor();
      return exit == 0 ? "" : "mvn dependency:get -Dartifact=" + coordinates + " exited with " + exit + ": "
          + output.substring(Math.max(0, output.length() - 1000));
    } catch (IOException e) {
      return "mvn could not be started to fetch " + coordinates + ": " + e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted while fetching " + coordinates;
    }
  }
}
