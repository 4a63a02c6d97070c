package dev.finetune.vblora.training.cli;

/**
 * One command-line option, declared once: {@link CommandSpecs} turns it into picocli's option (parsing, checking
 * the value, help, completion) and {@link CliReference} into docs/cli.md's tables. Names are kebab case and, where
 * PEFT has the setting, PEFT's name (num_vectors becomes --num-vectors), so a setting has one name across Java,
 * JSON and the CLI.
 *
 * @param name the option without its leading dashes
 * @param valueName what the value is (shown in help); null for a boolean switch
 * @param help one line of help
 * @param defaultValue shown in help; null when there is none
 * @param required whether the command refuses to run without it
 * @param repeatable whether it may be given several times (its values are read with {@link ParsedArgs#all})
 * @param type what values it takes, checked while parsing
 * @param section the heading it is listed under in help
 */
public record OptionSpec(String name, String valueName, String help, String defaultValue, boolean required,
    boolean repeatable, ValueType type, String section) {
  static final String OPTIONS = "Options";

  public OptionSpec {
    if (valueName == null && !type.isBoolean()) {
      throw new IllegalArgumentException("--" + name + ": only booleans take no value");
    }
  }

  /** An option that may be given several times, e.g. {@code --input ids=a --input mask=b}. */
  public static OptionSpec repeatable(String name, String valueName, String help) {
    return new OptionSpec(name, valueName, help + " (repeatable)", null, false, true, ValueType.TEXT, OPTIONS);
  }

  /**
   * A boolean, in the one style every boolean option has: {@code --NAME} turns it on, {@code --no-NAME} off (for
   * {@code --no-header}, {@code --header} is the negation), and {@code --NAME=true|false} says either explicitly.
   */
  public static OptionSpec flag(String name, String help) {
    return new OptionSpec(name, null, help, null, false, false, ValueType.BOOLEAN, OPTIONS);
  }

  /** A boolean with a default or none (null: the command decides, e.g. --xla by device). */
  public static OptionSpec flag(String name, String help, Boolean defaultValue) {
    return new OptionSpec(name, null, help, defaultValue == null ? null : defaultValue.toString(), false, false,
        ValueType.BOOLEAN, OPTIONS);
  }

  public static OptionSpec optional(String name, String valueName, String help, String defaultValue) {
    return new OptionSpec(name, valueName, help, defaultValue, false, false, ValueType.TEXT, OPTIONS);
  }

  public static OptionSpec required(String name, String valueName, String help) {
    return new OptionSpec(name, valueName, help, null, true, false, ValueType.TEXT, OPTIONS);
  }

  /** The same option taking values of {@code kind} (checked while parsing: a bad value exits 2). */
  public OptionSpec typed(ValueType kind) {
    return new OptionSpec(name, valueName, help, defaultValue, required, repeatable, kind, section);
  }

  /** The same option with another line of help, e.g. where one command reads it differently. */
  public OptionSpec helped(String text) {
    return new OptionSpec(name, valueName, text, defaultValue, required, repeatable, type, section);
  }

  /** The same option listed under {@code heading} in help. */
  public OptionSpec in(String heading) {
    return new OptionSpec(name, valueName, help, defaultValue, required, repeatable, type, heading);
  }

  public boolean takesValue() {
    return valueName != null;
  }

  /** {@code --name}. */
  public String flagName() {
    return "--" + name;
  }

  /** The switch that sets a boolean to false: --no-NAME, or --NAME for an option named no-NAME. */
  public String negatedName() {
    return name.startsWith("no-") ? "--" + name.substring(3) : "--no-" + name;
  }

  /** {@code --name=VALUE}, or {@code --[no-]name} for a boolean, as help and errors show it. */
  public String label() {
    if (!takesValue()) {
      return "--[no-]" + (name.startsWith("no-") ? name.substring(3) : name);
    }
    return flagName() + "=" + valueName;
  }
}
