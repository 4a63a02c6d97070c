package dev.finetune.vblora.training.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.training.TrainConfig;
import dev.finetune.vblora.training.TrainingGraphSpec;
import dev.finetune.vblora.training.optim.VbLoraGroupSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * One source of defaults: what {@code vblora train --help} prints, what docs/cli.md's synopsis of train shows and
 * what {@code TrainConfig.builder()} starts from are the same values (one name per setting: --lr-bank is the JSON
 * key lr_bank).
 */
class TrainDefaultsTest {
  @Test
  void theBuilderStartsFromEveryDefaultTheHelpPrints() {
    Map<String, Object> built = TrainConfig.builder().model("m").train(Path.of("t.tsv")).out(Path.of("out")).build()
        .toJson();
    Set<String> notInConfig = new TreeSet<>();
    for (Map.Entry<String, String> option : helpDefaults().entrySet()) {
      String key = option.getKey().replace('-', '_');
      if (!built.containsKey(key)) {
        notInConfig.add(option.getKey());
      } else if (option.getKey().equals("update-form")) {
        assertEquals("auto", option.getValue());
        assertNull(built.get(key), "auto is the absent update form");
      } else {
        assertSameValue(option.getKey(), option.getValue(), built.get(key));
      }
    }
    // Device, precision and the thread counts too: TrainConfig is the one source of a run's settings.
    assertEquals(Set.of(), notInConfig, "every default of train is a TrainConfig setting");
  }

  /** A graph built through the low-level builder trains with the hyperparameters train would use. */
  @Test
  void theTrainingGraphBuilderDefaultsToTrainsGroupSettings() {
    TrainConfig config = TrainConfig.builder().model("m").train(Path.of("t.tsv")).out(Path.of("out")).build();
    assertEquals(config.loraFactors(), TrainingGraphSpec.LORA_DEFAULTS);
    assertEquals(config.groups(), VbLoraGroupSettings.paperDefaults());
  }

  @Test
  void theBuilderNeedsOnlyModelDataAndOutput() {
    TrainConfig config = TrainConfig.builder().model("m").train(Path.of("t.tsv")).out(Path.of("out")).build();
    assertEquals("sentence", config.textColumn());
    assertEquals("label", config.labelColumn());
  }

  @Test
  void docsCliMdShowsTheDefaultsTheHelpPrints() throws IOException {
    Map<String, String> help = helpDefaults();
    Map<String, String> documented = documentedTrainDefaults();
    assertTrue(documented.size() >= 15, "the synopsis of train lists its defaults: " + documented);
    documented.forEach((option, value) -> {
      assertTrue(help.containsKey(option), "docs/cli.md shows a default for --" + option + ", the help none");
      assertSameValue(option, value, help.get(option));
    });
  }

  private static Map<String, String> helpDefaults() {
    Map<String, String> defaults = new LinkedHashMap<>();
    new TrainCommand().options().stream().filter(o -> o.defaultValue() != null)
        .forEach(o -> defaults.put(o.name(), o.defaultValue()));
    return defaults;
  }

  /** The {@code --option value} pairs of the synopsis of train whose value is a literal (not N, FILE, ...). */
  private static Map<String, String> documentedTrainDefaults() throws IOException {
    Path docs = Path.of("").toAbsolutePath().getParent().resolve("docs").resolve("cli.md");
    String text = Files.readString(docs);
    int start = text.indexOf("\n    vblora train ");
    assertTrue(start >= 0, "docs/cli.md has the synopsis of train");
    String synopsis = text.substring(start, text.indexOf("\n\n", start));
    Map<String, String> values = new LinkedHashMap<>();
    Matcher m = Pattern.compile("--([a-z-]+) ([^\\]|\\s]+)").matcher(synopsis);
    while (m.find()) {
      if (!m.group(2).matches("[A-Z]+")) {
        values.put(m.group(1), m.group(2));
      }
    }
    return values;
  }

  private static void assertSameValue(String option, String text, Object value) {
    if (value instanceof Number number) {
      assertEquals(Double.parseDouble(text), number.doubleValue(), 0.0, "--" + option);
    } else if (value instanceof Boolean bool) {
      assertEquals(Boolean.parseBoolean(text), bool, "--" + option);
    } else if (value instanceof String string && string.matches("-?[0-9.e-]+") && text.matches("-?[0-9.e-]+")) {
      assertEquals(Double.parseDouble(text), Double.parseDouble(string), 0.0, "--" + option);
    } else {
      assertEquals(text, String.valueOf(value), "--" + option);
    }
  }
}
