package dev.finetune.vblora.model;

/**
 * A graph tensor as TensorFlow spells it in node inputs and signatures: {@code node:index}, {@code node}
 * (index 0) or {@code ^node} (a control input, no tensor).
 *
 * @param node the producing node's name
 * @param index the output index
 * @param control true for a control dependency
 */
public record TensorName(String node, int index, boolean control) {

  /** Parses a main-graph input or tensor name. */
  public static TensorName parse(String name) {
    if (name.startsWith("^")) {
      return new TensorName(name.substring(1), 0, true);
    }
    int colon = name.lastIndexOf(':');
    if (colon > 0 && colon < name.length() - 1 && name.substring(colon + 1).chars().allMatch(Character::isDigit)) {
      return new TensorName(name.substring(0, colon), Integer.parseInt(name.substring(colon + 1)), false);
    }
    return new TensorName(name, 0, false);
  }

  /** {@code node:index}, the form Session feeds and fetches take. */
  @Override
  public String toString() {
    return control ? "^" + node : node + ":" + index;
  }
}
