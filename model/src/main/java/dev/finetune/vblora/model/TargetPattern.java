package dev.finetune.vblora.model;

import dev.finetune.vblora.data.error.InvalidSettingException;
import dev.finetune.vblora.data.error.Suggestions;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Collectors;

/**
 * Which kernels to adapt (or exclude): a preset, a list of names or suffixes, or one full-match regex.
 *
 * <p>A name matches a kernel whose name or module path (name without {@code /kernel}) equals it or ends with
 * {@code /} + it, so {@code query}, {@code self/query} and the full variable name all select BERT's query
 * kernels. A regex must match the whole name or the whole module path.
 */
public sealed interface TargetPattern {
  /** The preset names, in the order error messages list them. */
  List<String> PRESETS = List.of("bert-qv", "all-linear");

  /** Regex metacharacters that make {@link #parse} read its text as a regex. A dot alone does not. */
  Pattern REGEX_HINT = Pattern.compile("[*+?()\\[\\]{}|^$\\\\]");

  /**
   * What this pattern selects among a model's kernels. Names and regexes judge each kernel alone; a preset looks
   * at the whole model to find its encoder layers.
   */
  Predicate<Kernel> in(List<Kernel> kernels);

  /** The pattern as the user wrote it, for messages. */
  String describe();

  /**
   * Reads a command-line value: a preset name; else a regex when it holds a regex metacharacter other
   * than a dot; else comma-separated names or suffixes.
   */
  static TargetPattern parse(String text) {
    String trimmed = text.strip();
    if (trimmed.isEmpty()) {
      throw new InvalidSettingException(List.of("targets", "exclude"),
          "an empty target pattern selects nothing; give a preset ("
          + String.join(", ", PRESETS) + "), names or a regex");
    }
    if (PRESETS.contains(trimmed)) {
      return new Preset(trimmed);
    }
    if (REGEX_HINT.matcher(trimmed).find()) {
      return regex(trimmed);
    }
    return names(trimmed.split(","));
  }

  /** A preset by name; an unknown name is an error listing the presets. */
  static TargetPattern preset(String name) {
    if (!PRESETS.contains(name)) {
      throw unknownPreset(name);
    }
    return new Preset(name);
  }

  /** Exact names or suffixes. */
  static TargetPattern names(String... names) {
    List<String> cleaned = Arrays.stream(names).map(String::strip).filter(s -> !s.isEmpty())
        .collect(Collectors.toList());
    if (cleaned.isEmpty()) {
      throw new InvalidSettingException(List.of("targets", "exclude"), "no target names given");
    }
    return new Names(cleaned);
  }

  /** A full-match regex. */
  static TargetPattern regex(String regex) {
    try {
      return new Regex(Pattern.compile(regex));
    } catch (PatternSyntaxException e) {
      throw new InvalidSettingException(List.of("targets", "exclude"),
          "target pattern '" + regex + "' is not a valid regex: "
          + e.getDescription(), e);
    }
  }

  static InvalidSettingException unknownPreset(String name) {
    return new InvalidSettingException(List.of("targets", "exclude"),
        "unknown target preset '" + name + "'" + Suggestions.hint(name, PRESETS) + "; presets are "
        + String.join(", ", PRESETS) + " (or give kernel names, suffixes or a regex)");
  }

  /**
   * A named selection by role ({@link KernelRole}), whatever the layout's scope names:
   * <ul>
   *   <li>{@code bert-qv}: the attention query and value projections of every layer (the paper's setting);
   *   <li>{@code all-linear}: every dense kernel of the encoder layers: query, key, value, attention output,
   *       intermediate and output, and in a Keras block its feed-forward Dense layers ({@link EncoderLayers});
   *       never the pooler, an embedding projection or what lies outside the layers (a classifier). A model
   *       without attention (a plain Dense stack) gets PEFT's all-linear: every kernel but the output head.
   * </ul>
   */
  record Preset(String name) implements TargetPattern {
    public Preset {
      if (!PRESETS.contains(name)) {
        throw unknownPreset(name);
      }
    }

    @Override
    public Predicate<Kernel> in(List<Kernel> kernels) {
      return switch (name) {
        case "bert-qv" -> k -> k.role() == KernelRole.QUERY || k.role() == KernelRole.VALUE;
        case "all-linear" -> allLinear(kernels);
        default -> throw unknownPreset(name);
      };
    }

    private static Predicate<Kernel> allLinear(List<Kernel> kernels) {
      EncoderLayers layers = EncoderLayers.of(kernels);
      Predicate<Kernel> notPoolerOrEmbedding = k -> k.role() != KernelRole.POOLER
          && k.role() != KernelRole.EMBEDDING_PROJECTION;
      if (!layers.any()) {
        return notPoolerOrEmbedding.and(k -> !k.head());
      }
      // A layer's own kernels even when nothing follows them (an encoder exported without a pooler); anything
      // else in a layer scope only when it is not the model's output.
      return notPoolerOrEmbedding.and(layers::contain).and(k -> k.role().encoderLayer() || !k.head());
    }

    /** What the preset looks for, for the error when a model has none. */
    String looksFor() {
      return name.equals("bert-qv") ? "attention query and value kernels"
          : "dense kernels of encoder layers or, without attention, kernels other than the output head";
    }

    @Override
    public String describe() {
      return name;
    }
  }

  /** Exact names or path suffixes. */
  record Names(List<String> names) implements TargetPattern {
    public Names {
      names = List.copyOf(names);
    }

    @Override
    public Predicate<Kernel> in(List<Kernel> kernels) {
      return this::matches;
    }

    boolean matches(Kernel kernel) {
      for (String n : names) {
        if (pathMatches(kernel.name(), n) || pathMatches(kernel.modulePath(), n)) {
          return true;
        }
      }
      return false;
    }

    private static boolean pathMatches(String path, String suffix) {
      return path.equals(suffix) || path.endsWith("/" + suffix);
    }

    @Override
    public String describe() {
      return String.join(",", names);
    }
  }

  /** A regex that must match a whole name or module path. */
  record Regex(Pattern pattern) implements TargetPattern {
    @Override
    public Predicate<Kernel> in(List<Kernel> kernels) {
      return this::matches;
    }

    boolean matches(Kernel kernel) {
      return pattern.matcher(kernel.name()).matches() || pattern.matcher(kernel.modulePath()).matches();
    }

    @Override
    public String describe() {
      return pattern.pattern();
    }
  }
}
