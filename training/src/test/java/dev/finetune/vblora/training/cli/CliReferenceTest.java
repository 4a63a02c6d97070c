package dev.finetune.vblora.training.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.ops.testing.SharedFolder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docs/cli.md and the option definitions cannot drift: its option reference is the one CliReference writes from
 * them, and every option its prose (or the shared contract, ../shared/docs/cli.md) names exists. After changing an
 * option, rewrite the reference with {@code VBLORA_WRITE_CLI_DOCS=true} and this test.
 */
class CliReferenceTest {
  private static final Path DOCS = Path.of("..", "docs", "cli.md");
  /** {@code --name} words that are not a vblora option at all: what `mvn`, java and XLA take. */
  private static final Set<String> FOREIGN = Set.of();
  private static final Pattern OPTION = Pattern.compile("(?<![\\w-])--([a-z][a-z0-9-]*[a-z0-9])(?![\\w-])");

  @Test
  void theOptionReferenceIsTheOneTheDefinitionsWrite() throws IOException {
    String docs = Files.readString(DOCS);
    int begin = docs.indexOf(CliReference.BEGIN);
    int end = docs.indexOf(CliReference.END);
    String expected = CliReference.markdown(Main.commands());
    if (Boolean.parseBoolean(System.getenv("VBLORA_WRITE_CLI_DOCS"))) {
      String rewritten = begin < 0 ? docs.stripTrailing() + "\n\n## Option reference\n\n" + expected + "\n"
          : docs.substring(0, begin) + expected + docs.substring(end + CliReference.END.length());
      Files.writeString(DOCS, rewritten);
      docs = rewritten;
      begin = docs.indexOf(CliReference.BEGIN);
      end = docs.indexOf(CliReference.END);
    }
    assertTrue(begin >= 0 && end > begin, "docs/cli.md has no option reference between " + CliReference.BEGIN
        + " and " + CliReference.END + "; write it with VBLORA_WRITE_CLI_DOCS=true and this test");
    assertEquals(expected, docs.substring(begin, end + CliReference.END.length()),
        "docs/cli.md's option reference differs from the option definitions; rewrite it with"
            + " VBLORA_WRITE_CLI_DOCS=true and this test, and check the prose above it");
  }

  @Test
  void everyOptionTheDocsNameExists() throws IOException {
    assertEquals(Set.of(), unknownOptionsIn(Files.readString(DOCS)), "options docs/cli.md names that no command has");
  }

  /** The names scripts and outside checks rely on (the shared contract) are all still options. */
  @Test
  void everyOptionOfTheSharedContractExists() throws IOException {
    Path contract = SharedFolder.resolve("docs/cli.md");
    assertEquals(Set.of(), unknownOptionsIn(Files.readString(contract)), "options of " + contract + " missing");
  }

  /** The option words of {@code text} that no command declares (either polarity of a boolean counts). */
  private static Set<String> unknownOptionsIn(String text) {
    Set<String> known = new TreeSet<>(Set.of("help", "version"));
    for (Command command : Main.commands()) {
      for (OptionSpec o : CommandSpecs.all(command)) {
        known.add(o.name());
        if (!o.takesValue()) {
          known.add(o.negatedName().substring(2));
        }
      }
    }
    Set<String> unknown = new TreeSet<>();
    Matcher m = OPTION.matcher(text);
    while (m.find()) {
      if (!known.contains(m.group(1)) && !FOREIGN.contains(m.group(1))) {
        unknown.add("--" + m.group(1));
      }
    }
    return unknown;
  }
}
