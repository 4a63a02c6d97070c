package dev.finetune.vblora.training.cli;

/**
 * One command-line option. Names are kebab case and, where PEFT has the setting, PEFT's name
 * (num_vectors becomes --num-vectors), so a setting has one name across Java, JSON and the CLI.
 *
 * @param name the option without its leading dashes
 * @param valueName what the value is (shown in help); null for a flag that takes no value
 * @param help one line of help
 * @param defaultValue shown in help; null when there is none
 * @param required whether the command refuses to run without it
 * @param repeatable whether it may be given several times (its values are read with {@link ParsedArgs#all})
 */
public record OptionSpec(String name, String valueName, String help, String defaultValue, boolean required,
    boolean repeatable) {

  public OptionSpec(String name, String valueName, String help, String defaultValue, boolean required) {
    this(name, valueName, help, defaultValue, required, false);
  }

  /** An option that may be given several times, e.g. {@code --input ids=a --input mask=b}. */
  public static OptionSpec repeatable(String name, String valueName, String help) {
    return new OptionSpec(name, valueName, help + " (repeatable)", null, false, true);
  }

  public static OptionSpec flag(String name, String help) {
    return new OptionSpec(name, null, help, null, false);
  }

  public static OptionSpec optional(String name, String valueName, String help, String defaultValue) {
    return new OptionSpec(name, valueName, help, defaultValue, false);
  }

  public static OptionSpec required(String name, String valueName, String help) {
    return new OptionSpec(name, valueName, help, null, true);
  }

  public boolean takesValue() {
    return valueName != null;
  }

  String helpLine() {
    String left = "--" + name + (takesValue() ? " " + valueName : "");
    String right = help + (defaultValue != null ? " (default " + defaultValue + ")" : "")
        + (required ? " (required)" : "");
    return String.format("  %-32s %s", left, right);
  }
}
