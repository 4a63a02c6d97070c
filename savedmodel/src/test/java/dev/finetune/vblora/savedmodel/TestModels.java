package dev.finetune.vblora.savedmodel;

import java.nio.file.Path;

/** The real models the tests run on. */
final class TestModels {
  private TestModels() {}

  /**
   * BERT-base uncased, resolved the way users get it (local Maven repository, unpacked once into the
   * user's cache), so that test runs share one unpacked copy.
   */
  static Path bert() {
    return ModelResolver.fromEnvironment().resolve(BuiltInModels.BERT_BASE_UNCASED);
  }
}
