package dev.finetune.vblora.savedmodel;

import java.nio.file.Path;

/**
 * A SavedModel that ships inside a Maven artifact, so that {@code --model NAME} works without a download
 * step of its own: the artifact's jar holds one entry that is itself a zip of the SavedModel folder.
 *
 * @param name the name users type, e.g. {@code bert-base-uncased}
 * @param groupId Maven group
 * @param artifactId Maven artifact
 * @param version Maven version
 * @param entry the jar entry holding the zipped SavedModel
 * @param description one line for listings
 */
public record BuiltInModel(
    String name, String groupId, String artifactId, String version, String entry, String description) {

  /** {@code group:artifact:version}, as {@code mvn dependency:get -Dartifact=...} takes it. */
  public String coordinates() {
    return groupId + ":" + artifactId + ":" + version;
  }

  /** Where the jar lies in a local Maven repository. */
  public Path jarIn(Path repository) {
    Path folder = repository;
    for (String part : groupId.split("\\.")) {
      folder = folder.resolve(part);
    }
    return folder.resolve(artifactId).resolve(version).resolve(artifactId + "-" + version + ".jar");
  }
}
