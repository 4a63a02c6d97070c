package dev.finetune.vblora.model;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Frozen base weights of one element type and shape that live in one packed variable: member {@code i} is row
 * {@code i} of {@code variable}, whose shape is {@code [members.size(), ...shape]}. See {@link PackedBaseWeights}.
 *
 * @param variable the packed variable's VarHandleOp, e.g. {@code packed_base/f32_768x768}
 * @param type the members' element type
 * @param shape one member's shape
 * @param members the members' own VarHandleOps (the checkpoint's variables), in row order
 */
public record BaseWeightGroup(String variable, ElementType type, long[] shape, List<String> members) {

  public BaseWeightGroup {
    Objects.requireNonNull(variable, "variable");
    Objects.requireNonNull(type, "type");
    shape = shape.clone();
    members = List.copyOf(members);
    if (members.size() < 2) {
      throw new VbLoraException("packed base variable " + variable + " has " + members.size()
          + " member(s); a group needs at least two (a single variable stays as it is)");
    }
    if (members.stream().distinct().count() != members.size()) {
      throw new VbLoraException("a variable appears twice in packed base variable " + variable + ": "
          + members);
    }
  }

  /** The packed variable's shape: {@code [members, ...shape]}. */
  public long[] packedShape() {
    long[] packed = new long[shape.length + 1];
    packed[0] = members.size();
    System.arraycopy(shape, 0, packed, 1, shape.length);
    return packed;
  }

  /** The row of {@code member} in the packed variable. */
  public int row(String member) {
    int row = members.indexOf(member);
    if (row < 0) {
      throw new VbLoraException("variable " + member + " is not packed in " + variable + "; its members are "
          + members);
    }
    return row;
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof BaseWeightGroup g && variable.equals(g.variable) && type == g.type
        && Arrays.equals(shape, g.shape) && members.equals(g.members);
  }

  @Override
  public int hashCode() {
    return Objects.hash(variable, type, Arrays.hashCode(shape), members);
  }

  @Override
  public String toString() {
    return variable + " " + type + " " + Arrays.toString(packedShape()) + " " + members;
  }
}
