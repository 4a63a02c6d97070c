package dev.finetune.vblora.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.data.error.InvalidSettingException;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TargetSelectorTest {
  private static final List<Kernel> BERT = BertLikeKernels.all();

  private static List<String> select(String targets, String exclude, String layers) {
    return TargetSelector.select(BERT, TargetSelection.parse(targets, exclude, layers)).stream()
        .map(Kernel::name).collect(Collectors.toList());
  }

  /** How many kernels a selection picks, and one it must contain. */
  @ParameterizedTest(name = "{0} / exclude {1} / layers {2} -> {3}")
  @CsvSource(nullValues = "-", value = {
      "bert-qv,                 -,            -,       24, module/bert/encoder/layer_0/attention/self/query/kernel",
      "all-linear,              -,            -,       72, module/bert/encoder/layer_11/output/dense/kernel",
      "query,                   -,            -,       12, module/bert/encoder/layer_5/attention/self/query/kernel",
      "'query,key,value',       -,            -,       36, module/bert/encoder/layer_5/attention/self/key/kernel",
      "self/value,              -,            -,       12, module/bert/encoder/layer_2/attention/self/value/kernel",
      "dense,                   -,            -,       37, module/bert/pooler/dense/kernel",
      "module/bert/pooler/dense/kernel, -,    -,        1, module/bert/pooler/dense/kernel",
      "'.*/layer_1[01]/.*',     -,            -,       12, module/bert/encoder/layer_10/intermediate/dense/kernel",
      "'.*(query|value)',       -,            -,       24, module/bert/encoder/layer_9/attention/self/value/kernel",
      "bert-qv,                 value,        -,       12, module/bert/encoder/layer_0/attention/self/query/kernel",
      "all-linear,              '.*/attention/.*', -,  24, module/bert/encoder/layer_0/intermediate/dense/kernel",
      "bert-qv,                 -,            '0-5,11', 14, module/bert/encoder/layer_11/attention/self/value/kernel",
      "dense,                   -,            3,        3, module/bert/encoder/layer_3/output/dense/kernel",
  })
  void selects(String targets, String exclude, String layers, int count, String contains) {
    List<String> selected = select(targets, exclude, layers);
    assertEquals(count, selected.size(), selected.toString());
    assertTrue(selected.contains(contains), selected.toString());
  }

  @Test
  void keepsDiscoveryOrder() {
    List<String> selected = select("bert-qv", null, "0");
    assertEquals(List.of("module/bert/encoder/layer_0/attention/self/query/kernel",
        "module/bert/encoder/layer_0/attention/self/value/kernel"), selected);
  }

  @Test
  void aSuffixMatchesWholePathComponentsOnly() {
    // "ery" is the end of "query" but not a path component.
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> select("ery", null, null));
    assertTrue(e.getMessage().contains("targets ery selected no kernel"), e.getMessage());
  }

  @Test
  void aSelectionMatchingNothingNamesThePatternsAndListsCandidates() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> select("querry", "value", "0-2"));
    String message = e.getMessage();
    assertTrue(message.contains("targets querry, exclude value, layers 0-2 selected no kernel"), message);
    assertTrue(message.contains("among 73 kernels"), message);
    assertTrue(message.contains("candidates: module/bert/encoder/layer_0/attention/self/query/kernel"), message);
    assertTrue(message.endsWith(TargetSelector.INSPECT_HINT), "a few candidates, and where to see all: " + message);
  }

  /** A misspelt name in a list would otherwise leave its kernels out silently while the others train. */
  @Test
  void everyNameOfAListMustMatchAKernel() {
    assertEquals(24, select("query,value", null, null).size(), "12 layers, both names");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> select("query,valu", null, null));
    assertTrue(e.getMessage().contains("targets query,valu: the name 'valu' matches no kernel of the model;"
        + " closest to 'valu': module/bert/encoder/layer_0/attention/self/value/kernel"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> select("querry,valu,key", null, null));
    assertTrue(e.getMessage().contains("the names [querry, valu] match no kernel"), e.getMessage());
  }

  @Test
  void aLayerFilterThatRemovesEverythingSaysHowManyMatchedBefore() {
    InvalidSettingException e = assertThrows(InvalidSettingException.class, () -> select("bert-qv", null, "40"));
    assertTrue(e.getMessage().contains("(24 matched before the exclusion and layer filter)"), e.getMessage());
    assertEquals(java.util.Optional.of("layers"), e.setting(), "the layer filter removed the last kernels");
    InvalidSettingException excluded = assertThrows(InvalidSettingException.class,
        () -> select("query", "query", "0-1"));
    assertEquals(java.util.Optional.of("exclude"), excluded.setting(), "the exclusion removed them all first");
  }

  @Test
  void anUnknownPresetListsThePresets() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> select("bert-qkv", null, null));
    assertTrue(e.getMessage().contains("unknown target preset 'bert-qkv' (did you mean bert-qv?)"), e.getMessage());
    assertTrue(e.getMessage().contains("bert-qv, all-linear"), e.getMessage());
    // A slip that reads as a kernel name (no dash) keeps the kernel candidates and names the preset it is near.
    IllegalArgumentException slip = assertThrows(IllegalArgumentException.class, () -> select("all_linear", null,
        null));
    assertTrue(slip.getMessage().contains(" kernels (did you mean the preset all-linear?); candidates: "),
        slip.getMessage());
    IllegalArgumentException direct = assertThrows(IllegalArgumentException.class,
        () -> TargetPattern.preset("everything"));
    assertTrue(direct.getMessage().contains("presets are bert-qv, all-linear"), direct.getMessage());
  }

  @Test
  void parsesPresetsNamesAndRegexes() {
    assertInstanceOf(TargetPattern.Preset.class, TargetPattern.parse("all-linear"));
    assertEquals(List.of("query", "value"), ((TargetPattern.Names) TargetPattern.parse("query, value")).names());
    assertInstanceOf(TargetPattern.Names.class, TargetPattern.parse("attention.self.query"));
    assertInstanceOf(TargetPattern.Regex.class, TargetPattern.parse(".*query"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TargetPattern.parse("(query"));
    assertTrue(e.getMessage().contains("not a valid regex"), e.getMessage());
  }

  @ParameterizedTest
  @CsvSource(delimiter = ';', value = {"5-3", "a", "1-", "-2", "1,,2"})
  void rejectsMalformedLayerFilters(String text) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LayerFilter.parse(text));
    assertTrue(e.getMessage().startsWith("layers '" + text + "': "), e.getMessage());
    assertTrue(e.getMessage().contains(text.equals("5-3") ? "runs backwards; write it lowest first (3-5)"
        : "is not a layer index or range; write e.g. 0-5,11"), e.getMessage());
  }

  @Test
  void levenshteinDistance() {
    assertEquals(1, TargetSelector.distance("querry", "query"));
    assertEquals(3, TargetSelector.distance("kitten", "sitting"));
    assertEquals(0, TargetSelector.distance("", ""));
  }
}
