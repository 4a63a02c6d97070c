package dev.finetune.vblora.training.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** One name per setting: the API's camel case, config.json's snake case and the option's kebab case. */
class FlagNamesTest {
  @Test
  void anApiNameIsItsOptionInKebabCase() {
    assertEquals("--text-column", FlagNames.flag("textColumn"));
    assertEquals("--lr-bank", FlagNames.flag("lrBank"));
    assertEquals("--topk", FlagNames.flag("topk"));
    assertEquals("--init-vector-bank-bound", FlagNames.flag("initVectorBankBound"));
    assertEquals("text_column", FlagNames.jsonKey("text-column"));
  }

  @Test
  void everyOptionOfTrainIsAKeyOfConfigJson() {
    // The mapping is mechanical only if train's options and the run's config.json keys match one to one.
    java.util.Set<String> keys = TrainDefaults.CONFIG.toJson().keySet();
    for (OptionSpec o : new TrainCommand().options()) {
      if (!List.of("json", "precision", "log-placement", "intra-op-threads", "inter-op-threads").contains(o.name())) {
        assertEquals(true, keys.contains(FlagNames.jsonKey(o.name())), o.flagName() + " in " + keys);
      }
    }
  }

  @Test
  void aLibraryMessageReadsWithOptionNames() {
    assertEquals("--text-column 'review' is not a column of data.tsv; set --text-column or --label-column",
        FlagNames.translate("textColumn 'review' is not a column of data.tsv; set textColumn or labelColumn",
            List.of("textColumn", "labelColumn")));
    assertEquals("textColumns and mytextColumn stay", FlagNames.translate("textColumns and mytextColumn stay",
        List.of("textColumn")), "only whole words");
  }
}
