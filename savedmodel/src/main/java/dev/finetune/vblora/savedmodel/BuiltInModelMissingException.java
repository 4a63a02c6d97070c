package dev.finetune.vblora.savedmodel;

import java.nio.file.Path;

/**
 * A built-in model whose artifact is not in the local Maven repository. The library never downloads: the
 * message names the artifact, where it was looked for and the commands that fetch it; the CLI fetches it
 * itself before it gets here.
 */
public final class BuiltInModelMissingException extends SavedModelException {
  private static final long serialVersionUID = 1L;
  private final transient BuiltInModel model;
  private final transient Path expectedJar;

  public BuiltInModelMissingException(BuiltInModel model, Path expectedJar) {
    super("built-in model '" + model.name() + "' (" + model.coordinates() + ") is not in the local Maven "
        + "repository: " + expectedJar + " is missing; fetch it with 'vblora fetch --model " + model.name()
        + "' or 'mvn dependency:get -Dtransitive=false -Dartifact=" + model.coordinates() + "', or give a "
        + "SavedModel folder");
    this.model = model;
    this.expectedJar = expectedJar;
  }

  /** The model that is missing. */
  public BuiltInModel model() {
    return model;
  }

  /** Where its jar was expected. */
  public Path expectedJar() {
    return expectedJar;
  }
}
