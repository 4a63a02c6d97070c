package dev.finetune.vblora.model;

import java.util.Arrays;
import java.util.List;
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

  /** Does this pattern select the kernel? */
  boolean matches(Kernel kernel);

  /** The pattern as the user wrote it, for messages. */
  String describe();

  /**
   * Reads a command-line value: a preset name; else a regex when it holds a regex metacharacter other
   * than a dot; else comma-separated names or suffixes.
   */
  static TargetPattern parse(String text) {
    String trimmed = text.strip();
    if (trimmed.isEmpty()) {
      throw new IllegalArgumentException("an empty target pattern selects nothing; give a preset ("
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
      throw new IllegalArgumentException("no target names given");
    }
    return new Names(cleaned);
  }

  /** A full-match regex. */
  static TargetPattern regex(String regex) {
    try {
      return new Regex(Pattern.compile(regex));
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException("target pattern '" + regex + "' is not a valid regex: "
          + e.getDescription(), e);
    }
  }

  static IllegalArgumentException unknownPreset(String name) {
    return new IllegalArgumentException("unknown target preset '" + name + "'; presets are "
        + String.join(", ", PRESETS) + " (or give kernel names, suffixes or a regex)");
  }

  /**
   * A named selection. {@code bert-qv}: the attention query and value kernels (the paper's setting);
   * {@code all-linear}: every kernel except the output head (PEFT's all-linear).
   */
  record Preset(String name) implements TargetPattern {
    public Preset {
      if (!PRESETS.contains(name)) {
        throw unknownPreset(name);
      }
    }

    @Override
    public boolean matches(Kernel kernel) {
      return switch (name) {
        case "bert-qv" -> Names.QUERY_VALUE.matches(kernel);
        case "all-linear" -> !kernel.head();
        default -> throw unknownPreset(name);
      };
    }

    @Override
    public String describe() {
      return name;
    }
  }

  /** Exact names or path suffixes. */
  record Names(List<String> names) implements TargetPattern {
    static final Names QUERY_VALUE = new Names(List.of("query", "value"));

    public Names {
      names = List.copyOf(names);
    }

    @Override
    public boolean matches(Kernel kernel) {
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
    public boolean matches(Kernel kernel) {
      return pattern.matcher(kernel.name()).matches() || pattern.matcher(kernel.modulePath()).matches();
    }

    @Override
    public String describe() {
      return pattern.pattern();
    }
  }
}
