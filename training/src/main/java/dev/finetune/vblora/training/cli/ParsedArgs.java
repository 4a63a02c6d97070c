package dev.finetune.vblora.training.cli;

import dev.finetune.vblora.data.error.Suggestions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import picocli.CommandLine.ParseResult;

/**
 * The options of one command line as picocli parsed them (every value already checked against its {@link
 * ValueType}), read by the option names of the command's {@link OptionSpec}s. Options the command line leaves out
 * may come from a run's config.json ({@code --config}, {@link RunConfigDefaults}); the command line wins.
 */
public final class ParsedArgs {
  private final Map<String, OptionSpec> specs;
  private final Map<String, List<String>> given;
  private final Map<String, List<String>> fallback;

  private ParsedArgs(Map<String, OptionSpec> specs, Map<String, List<String>> given,
      Map<String, List<String>> fallback) {
    this.specs = specs;
    this.given = given;
    this.fallback = fallback;
  }

  /** The options picocli matched, in command-line order; a boolean's value is "true" or "false". */
  static ParsedArgs of(List<OptionSpec> options, ParseResult result) {
    Map<String, OptionSpec> specs = new LinkedHashMap<>();
    options.forEach(o -> specs.put(o.name(), o));
    Map<String, List<String>> given = new LinkedHashMap<>();
    for (picocli.CommandLine.Model.OptionSpec matched : result.matchedOptions()) {
      String name = matched.longestName().substring(2);
      OptionSpec spec = specs.get(name);
      if (spec == null) {
        continue; // --help, --debug: the Cli's own
      }
      given.put(name, spec.takesValue() ? List.copyOf(matched.stringValues())
          : List.of(String.valueOf((Boolean) matched.getValue())));
    }
    return new ParsedArgs(specs, given, Map.of());
  }

  /**
   * These options with {@code defaults} for those the command line left out (the command line wins).
   *
   * @throws UserError for a default no option of this command takes: a misspelt key of a --config file would
   *     otherwise be dropped without a word, and the run trained with the default instead
   */
  ParsedArgs withFallback(Map<String, List<String>> defaults) {
    List<String> unknown = defaults.keySet().stream().filter(name -> !specs.containsKey(name)).toList();
    if (!unknown.isEmpty()) {
      String name = unknown.get(0);
      List<String> near = Suggestions.of(name, specs.keySet());
      throw new UserError("the --config file sets '" + name.replace('-', '_') + "', which is no setting of this"
          + " command" + (near.isEmpty() ? "" : " (did you mean '" + near.get(0).replace('-', '_') + "'?)")
          + (unknown.size() > 1 ? ", nor are " + unknown.subList(1, unknown.size()).stream()
              .map(n -> "'" + n.replace('-', '_') + "'").toList() : "")
          + "; correct or remove " + (unknown.size() > 1 ? "those keys" : "that key"));
    }
    return new ParsedArgs(specs, given, defaults);
  }

  /** The required options neither the command line nor the fallback gave. */
  List<OptionSpec> missingRequired() {
    return specs.values().stream().filter(o -> o.required() && !has(o.name())).toList();
  }

  /** The options as given on the command line, {@code --name value} or {@code --flag}/{@code --no-flag}. */
  public List<String> toArgs() {
    List<String> args = new ArrayList<>();
    given.forEach((name, values) -> {
      OptionSpec spec = specs.get(name);
      for (String value : values) {
        if (spec.takesValue()) {
          args.add(spec.flagName());
          args.add(value);
        } else {
          args.add(Boolean.parseBoolean(value) ? spec.flagName() : spec.negatedName());
        }
      }
    });
    return args;
  }

  /** Every value of a repeatable option, in command-line order (empty when not given). */
  public List<String> all(String name) {
    return values(name).orElse(List.of());
  }

  /** Whether this command offers the option at all (not every command takes every shared option). */
  public boolean declares(String name) {
    return specs.containsKey(name);
  }

  /** Whether the command line itself gave the option (not a --config run's settings). */
  public boolean given(String name) {
    values(name); // refuses a name the command does not declare
    return given.containsKey(name);
  }

  public boolean has(String name) {
    return values(name).isPresent();
  }

  /** A boolean switch: true when given as {@code --name} (or true), else its default, else false. */
  public boolean flag(String name) {
    return bool(name, Boolean.parseBoolean(specs.get(name).defaultValue()));
  }

  public Optional<String> string(String name) {
    return values(name).map(v -> v.get(v.size() - 1));
  }

  /** The given value or the spec's default. */
  public String stringOrDefault(String name) {
    return string(name).orElse(specs.get(name).defaultValue());
  }

  public Optional<Path> path(String name) {
    return string(name).map(Path::of);
  }

  public Optional<Integer> integer(String name) {
    return string(name).map(v -> (Integer) read(name, v, ValueType.INTEGER));
  }

  public int integerOrDefault(String name) {
    return (Integer) read(name, stringOrDefault(name), ValueType.INTEGER);
  }

  public Optional<Double> number(String name) {
    return string(name).map(v -> (Double) read(name, v, ValueType.NUMBER));
  }

  public double numberOrDefault(String name) {
    return (Double) read(name, stringOrDefault(name), ValueType.NUMBER);
  }

  /** Comma-separated list; empty when absent. */
  public List<String> list(String name) {
    List<String> out = new ArrayList<>();
    string(name).ifPresent(v -> {
      for (String part : v.split(",")) {
        if (!part.isBlank()) {
          out.add(part.trim());
        }
      }
    });
    return Collections.unmodifiableList(out);
  }

  /** A boolean option's value, or {@code fallback} when it is not given. */
  public boolean bool(String name, boolean fallback) {
    return string(name).map(v -> (Boolean) read(name, v, ValueType.BOOLEAN)).orElse(fallback);
  }

  private Optional<List<String>> values(String name) {
    if (!specs.containsKey(name)) {
      throw new IllegalArgumentException("option --" + name + " is not declared by this command");
    }
    return Optional.ofNullable(given.containsKey(name) ? given.get(name) : fallback.get(name));
  }

  /**
   * The value as {@code kind}. picocli checked command-line values against the option's declared type; a value
   * from config.json, or one of an option declared as plain text, is checked here.
   */
  private static Object read(String name, String value, ValueType kind) {
    try {
      return kind.check().apply(value);
    } catch (picocli.CommandLine.TypeConversionException e) {
      throw new UsageError("invalid value for option --" + name + ": " + e.getMessage());
    }
  }

  @Override
  public String toString() {
    return given.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue())
        .collect(Collectors.joining(" "));
  }
}
