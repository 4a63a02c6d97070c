package dev.finetune.vblora.model;

import dev.finetune.vblora.data.error.InvalidSettingException;
import java.util.BitSet;
import java.util.List;
import java.util.OptionalInt;

/**
 * Which transformer layers to adapt, e.g. {@code 0-5,11} (PEFT's layers_to_transform). With a filter, a
 * kernel without a layer index (an embedding projection, the pooler) is not selected; nor is a layer whose
 * weights every depth shares (ALBERT's {@code layer_shared}): adapting it would change the layers the filter
 * leaves out too, so it is selected only without a filter.
 */
public final class LayerFilter {
  /** The settings whose value this refuses (API names), for {@link InvalidSettingException#settings()}. */
  private static final List<String> SETTINGS = List.of("layers");

  /** No filter: every layer, and kernels outside layers too. */
  public static final LayerFilter ALL = new LayerFilter(null, "all");

  private final BitSet layers;
  private final String text;

  private LayerFilter(BitSet layers, String text) {
    this.layers = layers;
    this.text = text;
  }

  /** Parses a comma-separated list of indices and inclusive ranges, e.g. {@code 0-5,11}. */
  public static LayerFilter parse(String text) {
    BitSet layers = new BitSet();
    for (String part : text.split(",")) {
      String p = part.strip();
      try {
        int dash = p.indexOf('-');
        int from = Integer.parseInt(dash < 0 ? p : p.substring(0, dash).strip());
        int to = dash < 0 ? from : Integer.parseInt(p.substring(dash + 1).strip());
        if (from < 0) {
          throw new NumberFormatException();
        }
        if (to < from) {
          throw new InvalidSettingException(SETTINGS, "layers '" + text + "': the range '" + p + "' runs backwards;"
              + " write it lowest first (" + to + "-" + from + ")");
        }
        layers.set(from, to + 1);
      } catch (NumberFormatException e) {
        // "layers" is the setting's name, so that the command line names it as --layers (SettingFlags).
        throw new InvalidSettingException(SETTINGS, "layers '" + text + "': '" + p + "' is not a layer index or "
            + "range; write e.g. 0-5,11", e);
      }
    }
    return new LayerFilter(layers, text.strip());
  }

  /** Does a kernel in this layer (or in none) pass? */
  public boolean accepts(OptionalInt layer) {
    return layers == null || (layer.isPresent() && layers.get(layer.getAsInt()));
  }

  /** True for {@link #ALL}. */
  public boolean isAll() {
    return layers == null;
  }

  @Override
  public String toString() {
    return text;
  }
}
