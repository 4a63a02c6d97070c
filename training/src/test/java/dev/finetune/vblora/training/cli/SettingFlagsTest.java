package dev.finetune.vblora.training.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.data.error.InvalidSettingException;
import dev.finetune.vblora.data.error.VbLoraException;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** One name per setting: the API's camel case, the option's kebab case and config.json's snake case. */
class SettingFlagsTest {
  @Test
  void anApiNameIsItsOptionInKebabCase() {
    assertEquals("--text-column", SettingFlags.flag("textColumn"));
    assertEquals("--lr-bank", SettingFlags.flag("lrBank"));
    assertEquals("--topk", SettingFlags.flag("topk"));
    assertEquals("--init-vector-bank-bound", SettingFlags.flag("initVectorBankBound"));
    assertEquals("text_column", SettingFlags.jsonKey("text-column"));
  }

  @Test
  void everyOptionOfTrainIsAKeyOfConfigJson() {
    // The mapping is mechanical only if train's options and the run's config.json keys match one to one.
    Set<String> keys = TrainDefaults.CONFIG.toJson().keySet();
    for (OptionSpec o : new TrainCommand().options()) {
      if (!List.of("json", "precision", "log-placement", "intra-op-threads", "inter-op-threads").contains(o.name())) {
        assertTrue(keys.contains(SettingFlags.jsonKey(o.name())), o.flagName() + " in " + keys);
      }
    }
  }

  @Test
  void everySettingTheErrorListsBecomesItsOption() {
    VbLoraException e = new InvalidSettingException(List.of("resume", "overwrite", "out"), "output folder run"
        + " exists; set resume to continue the run there, overwrite to replace it, or choose another out folder");
    assertEquals("output folder run exists; set --resume to continue the run there, --overwrite to replace it,"
        + " or choose another --out folder", SettingFlags.translate(e));
  }

  @Test
  void camelAndPeftSnakeNamesBothTranslateButLongerWordsStay() {
    assertEquals("--lr-bank must be > 0 (--valid-fraction stays, outputs stay)", SettingFlags.translate(
        new InvalidSettingException(List.of("lrBank", "out"), "lrBank must be > 0 (--valid-fraction stays,"
            + " outputs stay)")));
    assertEquals("--vector-length 256 does not divide in_features 312", SettingFlags.translate(
        new InvalidSettingException("vectorLength", "vector_length 256 does not divide in_features 312")));
  }

  @Test
  void anErrorAboutNoSettingKeepsItsMessage() {
    assertEquals("model m is not a SavedModel", SettingFlags.translate(new VbLoraException("model m is not a"
        + " SavedModel")));
  }
}
