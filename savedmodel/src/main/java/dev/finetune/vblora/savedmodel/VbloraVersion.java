package dev.finetune.vblora.savedmodel;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * This build's version, as {@code vblora --version} prints it and every artifact records it ("tool_version" in
 * config.json, metrics.json and an adapter's vblora_metadata.json). Its one source is the Maven project version,
 * which the build writes into a resource beside this class, so that a class folder, a jar and the distribution
 * all report the same.
 */
public final class VbloraVersion {
  /** The JSON key under which artifacts record {@link #current()}. */
  public static final String JSON_KEY = "tool_version";

  private static final String RESOURCE = "vblora-version.properties";
  private static final String CURRENT = load();

  private VbloraVersion() {}

  /** The version, e.g. {@code 0.1.0} or {@code 0.1.0-SNAPSHOT}. */
  public static String current() {
    return CURRENT;
  }

  private static String load() {
    Properties properties = new Properties();
    try (InputStream in = VbloraVersion.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is missing beside " + VbloraVersion.class.getName()
            + "; the build did not process the resources (run mvn package)");
      }
      properties.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE, e);
    }
    String version = properties.getProperty("version", "");
    if (version.isBlank() || version.contains("${")) {
      throw new IllegalStateException(RESOURCE + " holds no version (\"" + version + "\"); the build did not "
          + "filter it (run mvn package)");
    }
    return version;
  }
}
