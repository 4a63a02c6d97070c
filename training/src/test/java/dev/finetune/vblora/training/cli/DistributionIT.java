package dev.finetune.vblora.training.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.ops.testing.RequiredInCi;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution that {@code mvn package} builds (training/target/vblora-VERSION.zip), unpacked with unzip
 * and started the way a user without Maven or the source starts it: a PATH that holds java and the few shell
 * tools the launcher uses, and no mvn. Runs after package (the surefire execution "distribution").
 */
@Tag("distribution")
class DistributionIT {
  private static final String VERSION = System.getProperty("vblora.projectVersion");
  private static final List<String> MODULES = List.of("ops", "model", "savedmodel", "data", "training");

  @TempDir static Path temp;
  private static Path home;
  private static Path pathWithoutMaven;

  @BeforeAll
  static void unpack() throws Exception {
    String zip = System.getProperty("vblora.distribution");
    RequiredInCi.assume(zip != null && Files.isRegularFile(Path.of(zip)),
        "no distribution zip (" + zip + "): run through 'mvn verify', which builds it in package");
    Path unzip = onPath("unzip");
    RequiredInCi.assume(unzip != null, "unzip is not installed");
    Process process = new ProcessBuilder(unzip.toString(), "-q", zip, "-d", temp.toString())
        .redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, process.waitFor(), output);
    home = temp.resolve("vblora-" + VERSION);
    pathWithoutMaven = Files.createDirectories(temp.resolve("path"));
    Files.createSymbolicLink(pathWithoutMaven.resolve("java"), Path.of(System.getProperty("java.home"), "bin", "java"));
    for (String tool : List.of("sh", "dirname", "ls", "sed", "mkdir")) {
      Path found = onPath(tool);
      assertNotNull(found, tool + " is not on this machine's PATH");
      Files.createSymbolicLink(pathWithoutMaven.resolve(tool), found);
    }
  }

  /** The links point outside the temp folder; removing them here keeps JUnit's cleanup quiet. */
  @AfterAll
  static void removeLinks() throws IOException {
    if (pathWithoutMaven != null) {
      try (Stream<Path> links = Files.list(pathWithoutMaven)) {
        for (Path link : links.toList()) {
          Files.delete(link);
        }
      }
    }
  }

  @Test
  void binVbloraRunsWithOnlyAJavaRuntimeOnThePath() throws Exception {
    Run version = run("--version");
    assertEquals(0, version.status, version.output);
    assertEquals("vblora " + VERSION + "\n", version.output);
    Run noMaven = run0(List.of("sh", "-c", "command -v mvn || echo none"));
    assertEquals("none\n", noMaven.output, "the PATH the launcher ran with has no Maven");
  }

  @Test
  void binVbloraIsExecutableAndListsTheCommands() throws Exception {
    assertTrue(Files.isExecutable(home.resolve("bin/vblora")), "unzip keeps the launcher's 0755");
    Run help = run("--help");
    assertEquals(0, help.status, help.output);
    for (Command command : Main.commands()) {
      assertTrue(help.output.contains("  " + command.name() + " "), command.name() + " in:\n" + help.output);
    }
  }

  @Test
  void libHoldsOurJarsAndTheRuntimeDependenciesButNoTestOrGpuJars() throws IOException {
    List<String> jars;
    try (Stream<Path> files = Files.list(home.resolve("lib"))) {
      jars = files.map(p -> p.getFileName().toString()).sorted().toList();
    }
    for (String module : MODULES) {
      assertTrue(jars.contains("vblora-" + module + "-" + VERSION + ".jar"), module + " in " + jars);
    }
    for (String dependency : List.of("jackson-core-", "picocli-", "protobuf-java-", "tensorflow-core-api-",
        "tensorflow-framework-")) {
      assertTrue(jars.stream().anyMatch(j -> j.startsWith(dependency)), dependency + " in " + jars);
    }
    assertTrue(jars.stream().anyMatch(j -> j.matches("tensorflow-core-native-.*-linux-x86_64\\.jar")),
        "the CPU natives in " + jars);
    assertFalse(jars.stream().anyMatch(j -> j.contains("-gpu") || j.contains("junit") || j.contains("jazzer")
        || j.contains("-tests") || j.contains("-sources") || j.contains("-javadoc")), jars.toString());
  }

  @Test
  void eachOfOurJarsNamesItsModuleAndVersion() throws IOException {
    for (String module : MODULES) {
      try (JarFile jar = new JarFile(home.resolve("lib/vblora-" + module + "-" + VERSION + ".jar").toFile())) {
        Manifest manifest = jar.getManifest();
        assertEquals("dev.finetune.vblora." + module,
            manifest.getMainAttributes().getValue("Automatic-Module-Name"), module);
        assertEquals(VERSION, manifest.getMainAttributes().getValue("Implementation-Version"), module);
      }
    }
  }

  private record Run(int status, String output) {}

  private static Run run(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(home.resolve("bin/vblora").toString()));
    command.addAll(List.of(args));
    return run0(command);
  }

  /** Runs {@code command} with a clean environment: HOME in the temp folder and the PATH without Maven. */
  private static Run run0(List<String> command) throws Exception {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    Map<String, String> env = builder.environment();
    env.clear();
    env.put("PATH", pathWithoutMaven.toString());
    env.put("HOME", Files.createDirectories(temp.resolve("home")).toString());
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(120, TimeUnit.SECONDS), "vblora did not finish");
    return new Run(process.exitValue(), output);
  }

  private static Path onPath(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
      Path candidate = Path.of(dir, tool);
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    return null;
  }
}
