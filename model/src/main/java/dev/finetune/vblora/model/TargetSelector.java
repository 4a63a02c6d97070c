package dev.finetune.vblora.model;

import dev.finetune.vblora.data.error.InvalidSettingException;
import dev.finetune.vblora.data.error.Suggestions;
import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** Picks the kernels to adapt from the discovered ones: a pure function of kernels and selection. */
public final class TargetSelector {
  /** The settings whose value this refuses (API names), for {@link InvalidSettingException#settings()}. */
  private static final List<String> SETTINGS = List.of("targets", "exclude", "layers");

  private static final int CANDIDATES = 5;
  /** How many kernel names an error lists before it says how many more there are. */
  private static final int LISTED = 40;
  /** What an intended preset looks like (bert-qv, all-linear): lower-case words joined by dashes. */
  private static final Pattern PRESET_LIKE = Pattern.compile("[a-z0-9]+(?:-[a-z0-9]+)+");

  /**
   * How a selection error that lists only some kernels ends: where to see them all. {@code vblora inspect} itself
   * lists them before it reports the error, and leaves this out.
   */
  public static final String INSPECT_HINT = " (list them all with vblora inspect)";

  private TargetSelector() {}

  /**
   * The kernels the selection picks, in discovery order.
   *
   * @throws IllegalArgumentException when nothing is selected: the message names the patterns and lists a
   *     few candidate names (the model's kernels when a preset found nothing; the presets when the pattern looks
   *     like a misspelt preset)
   */
  public static List<Kernel> select(List<Kernel> kernels, TargetSelection selection) {
    Predicate<Kernel> targets = selection.targets().in(kernels);
    Predicate<Kernel> excluded = selection.exclude().map(e -> e.in(kernels)).orElse(k -> false);
    List<Kernel> matched = kernels.stream().filter(targets).collect(Collectors.toList());
    if (!matched.isEmpty() && selection.targets() instanceof TargetPattern.Names names) {
      requireEveryNameMatches(kernels, names);
    }
    List<Kernel> selected = matched.stream()
        .filter(excluded.negate())
        .filter(k -> selection.layers().accepts(k.layer()))
        .collect(Collectors.toList());
    if (!selected.isEmpty()) {
      return selected;
    }
    if (matched.isEmpty() && selection.targets() instanceof TargetPattern.Names names
        && names.names().size() == 1 && PRESET_LIKE.matcher(names.names().get(0)).matches()) {
      throw TargetPattern.unknownPreset(names.names().get(0));
    }
    if (matched.isEmpty() && selection.targets() instanceof TargetPattern.Preset preset) {
      throw new InvalidSettingException(SETTINGS, "preset " + preset.name() + " found none of its " + preset.looksFor()
          + " among the model's " + kernels.size() + " kernels: " + listed(kernels)
          + "; name the kernels to adapt instead, by names, path suffixes or a regex"
          + (kernels.size() > LISTED ? INSPECT_HINT : ""));
    }
    String why = matched.isEmpty() ? "" : " (" + matched.size() + " matched before the exclusion and layer filter"
        + unnumbered(matched, selection) + ")";
    // The setting to change first: what removed the last kernels (setting() names it).
    List<String> settings = matched.isEmpty() ? SETTINGS : matched.stream().anyMatch(excluded.negate())
        ? List.of("layers", "targets", "exclude") : List.of("exclude", "targets", "layers");
    throw new InvalidSettingException(settings, selection.describe() + " selected no kernel" + why + " among "
        + kernels.size() + " kernels" + presetHint(matched, selection) + "; candidates: "
        + candidates(kernels, selection) + INSPECT_HINT);
  }

  /**
   * A list of names selects what each name matches, so a misspelt one would silently leave its kernels out: each
   * must match some kernel. (A regex is the way to a pattern that may match nothing on some models.)
   */
  private static void requireEveryNameMatches(List<Kernel> kernels, TargetPattern.Names names) {
    List<String> unmatched = names.names().stream()
        .filter(name -> kernels.stream().noneMatch(new TargetPattern.Names(List.of(name))::matches))
        .toList();
    if (!unmatched.isEmpty()) {
      String first = unmatched.get(0);
      throw new InvalidSettingException(List.of("targets"), "targets " + names.describe() + ": "
          + (unmatched.size() == 1 ? "the name '" + first + "' matches" : "the names " + unmatched + " match")
          + " no kernel of the model; closest to '" + first + "': " + closest(kernels, first)
          + "; fix or remove " + (unmatched.size() == 1 ? "it" : "them"));
    }
  }

  /** A name that matched nothing but reads like a preset's slip (all_linear): which preset it may have meant. */
  private static String presetHint(List<Kernel> matched, TargetSelection selection) {
    if (!matched.isEmpty() || !(selection.targets() instanceof TargetPattern.Names names)
        || names.names().size() != 1) {
      return "";
    }
    return Suggestions.hint(names.names().get(0), TargetPattern.PRESETS, "the preset ");
  }

  /** Every kernel name, up to a limit that keeps the message readable. */
  private static String listed(List<Kernel> kernels) {
    String names = kernels.stream().limit(LISTED).map(Kernel::name).collect(Collectors.joining(", "));
    return kernels.size() > LISTED ? names + ", ... (" + (kernels.size() - LISTED) + " more)" : names;
  }

  /** Why a layer filter removed kernels that have no layer number (a layer shared by every depth). */
  private static String unnumbered(List<Kernel> matched, TargetSelection selection) {
    long without = matched.stream().filter(k -> k.layer().isEmpty()).count();
    return selection.layers().isAll() || without == 0 ? "" : "; " + without + " of them have no layer number in"
        + " their names (read from layer_N, layer_._N, layers.N, blocks_N, h.N or .../layers/N; a layer shared by"
        + " every depth, as ALBERT's, has none), which a layer filter never selects: select them by name or regex";
  }

  /** The kernel names closest to what the user typed, judged on the last path component. */
  private static String candidates(List<Kernel> kernels, TargetSelection selection) {
    return closest(kernels, selection.targets().describe().split(",")[0]);
  }

  /** The kernel names closest to {@code name}, judged on the last path component. */
  private static String closest(List<Kernel> kernels, String name) {
    String typed = lastComponent(name);
    return kernels.stream()
        .sorted(Comparator.comparingInt((Kernel k) -> distance(typed, lastComponent(k.modulePath()))))
        .limit(CANDIDATES)
        .map(Kernel::name)
        .collect(Collectors.joining(", "));
  }

  private static String lastComponent(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }

  /** Levenshtein distance: small and fine for names of a few dozen characters. */
  static int distance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitute = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitute, Math.min(previous[j], current[j - 1]) + 1);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }
}
