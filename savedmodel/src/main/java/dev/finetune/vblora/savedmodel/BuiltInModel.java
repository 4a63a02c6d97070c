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

  /** The jar's path inside a Maven repository, local or remote: {@code group/as/folders/artifact/version/file}. */
  public String repositoryPath() {
    return groupId.replace('.', '/') + "/" + artifactId + "/" + version + "/" + artifactId + "-" + version + ".jar";
  }

  /** Where the jar lies in a local Maven repository. */
  public Path jarIn(Path repository) {
    return repository.resolve(repositoryPath());
  }
}
