package dev.finetune.vblora.training.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The options of one command line, checked against the command's {@link OptionSpec}s. */
public final class ParsedArgs {
  private final Map<String, String> values;
  private final Map<String, OptionSpec> specs;

  private static final String REPEAT_SEPARATOR = "\u0000";

  private ParsedArgs(Map<String, String> values, Map<String, OptionSpec> specs) {
    this.values = values;
    this.specs = specs;
  }

  /** Parses {@code --name value}, {@code --name=value} and {@code --flag}; unknown options are usage errors. */
  public static ParsedArgs parse(String command, List<String> args, List<OptionSpec> options) {
    Map<String, OptionSpec> specs = new LinkedHashMap<>();
    options.forEach(o -> specs.put(o.name(), o));
    Map<String, String> values = new LinkedHashMap<>();
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (!arg.startsWith("--") || arg.length() == 2) {
        throw new UsageError("unexpected argument '" + arg + "' for '" + command + "'; options start with --");
      }
      String name = arg.substring(2);
      String inline = null;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        inline = name.substring(eq + 1);
        name = name.substring(0, eq);
      }
      OptionSpec spec = specs.get(name);
      if (spec == null) {
        throw new UsageError("unknown option --" + name + " for '" + command + "'; see 'vblora " + command
            + " --help'");
      }
      if (values.containsKey(name) && !spec.repeatable()) {
        throw new UsageError("option --" + name + " is given twice");
      }
      if (!spec.takesValue()) {
        if (inline != null) {
          throw new UsageError("option --" + name + " takes no value");
        }
        values.put(name, "true");
      } else {
        if (inline == null
            && (i + 1 >= args.size() || (args.get(i + 1).startsWith("--") && args.get(i + 1).length() > 2))) {
          throw new UsageError("option --" + name + " needs a value (" + spec.valueName() + ")");
        }
        String value = inline != null ? inline : args.get(++i);
        // A repeated option keeps its values in order, separated by a character no value holds.
        values.merge(name, value, (a, b) -> a + REPEAT_SEPARATOR + b);
      }
    }
    for (OptionSpec spec : options) {
      if (spec.required() && !values.containsKey(spec.name())) {
        throw new UsageError("'" + command + "' needs --" + spec.name() + " " + spec.valueName());
      }
    }
    return new ParsedArgs(values, specs);
  }

  /** The options as given, {@code --name value} or {@code --flag}, in command-line order. */
  public List<String> toArgs() {
    List<String> args = new java.util.ArrayList<>();
    values.forEach((name, value) -> {
      for (String one : specs.get(name).takesValue() ? value.split(REPEAT_SEPARATOR) : new String[] {value}) {
        args.add("--" + name);
        if (specs.get(name).takesValue()) {
          args.add(one);
        }
      }
    });
    return args;
  }

  /** Every value of a repeatable option, in command-line order (empty when not given). */
  public List<String> all(String name) {
    checkKnown(name);
    String v = values.get(name);
    return v == null ? List.of() : List.of(v.split(REPEAT_SEPARATOR));
  }

  public boolean has(String name) {
    checkKnown(name);
    return values.containsKey(name);
  }

  public boolean flag(String name) {
    return has(name) && Boolean.parseBoolean(values.get(name));
  }

  public Optional<String> string(String name) {
    checkKnown(name);
    return Optional.ofNullable(values.get(name));
  }

  /** The given value or the spec's default. */
  public String stringOrDefault(String name) {
    return string(name).orElse(specs.get(name).defaultValue());
  }

  public Optional<Path> path(String name) {
    return string(name).map(Path::of);
  }

  public Optional<Integer> integer(String name) {
    return string(name).map(v -> {
      try {
        return Integer.parseInt(v.trim());
      } catch (NumberFormatException e) {
        throw new UsageError("option --" + name + " expects a whole number, got '" + v + "'");
      }
    });
  }

  public int integerOrDefault(String name) {
    return integer(name).orElseGet(() -> Integer.parseInt(specs.get(name).defaultValue()));
  }

  public Optional<Double> number(String name) {
    return string(name).map(v -> {
      try {
        return Double.parseDouble(v.trim());
      } catch (NumberFormatException e) {
        throw new UsageError("option --" + name + " expects a number, got '" + v + "'");
      }
    });
  }

  public double numberOrDefault(String name) {
    return number(name).orElseGet(() -> Double.parseDouble(specs.get(name).defaultValue()));
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

  /** true/false/on/off/yes/no, or the default. */
  public boolean bool(String name, boolean fallback) {
    Optional<String> v = string(name);
    if (v.isEmpty()) {
      return fallback;
    }
    switch (v.get().toLowerCase(java.util.Locale.ROOT)) {
      case "true": case "on": case "yes": case "1":
        return true;
      case "false": case "off": case "no": case "0":
        return false;
      default:
        throw new UsageError("option --" + name + " expects on/off (or true/false), got '" + v.get() + "'");
    }
  }

  private void checkKnown(String name) {
    if (!specs.containsKey(name)) {
      throw new IllegalArgumentException("option --" + name + " is not declared by this command");
    }
  }
}
