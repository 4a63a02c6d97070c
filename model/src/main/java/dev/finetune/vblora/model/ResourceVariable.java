package dev.finetune.vblora.model;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.AssignVariableOp;
import org.tensorflow.op.core.ReadVariableOp;
import org.tensorflow.op.core.VarHandleOp;
import org.tensorflow.types.TFloat32;

/**
 * A resource variable as TF1 and TF2 exports make them: VarHandleOp, one ReadVariableOp that every use goes
 * through, and an AssignVariableOp of its seeded initial value. Resource variables rather than VariableV2:
 * the base model's are resource variables too, and raw ref variables crash addGradients in some graphs.
 *
 * @param handle the variable
 * @param read its value
 * @param initialValue the initial value
 * @param assign writes the initial value
 */
record ResourceVariable(VarHandleOp handle, ReadVariableOp<TFloat32> read, Operand<TFloat32> initialValue,
    AssignVariableOp assign) {

  /** Creates {@code name}, {@code name_read} and {@code name_assign} in {@code scope}. */
  static ResourceVariable create(Ops scope, String name, Operand<TFloat32> initialValue) {
    VarHandleOp handle = scope.withName(name).varHandleOp(TFloat32.class, initialValue.shape());
    ReadVariableOp<TFloat32> read = scope.withName(name + "_read").readVariableOp(handle, TFloat32.class);
    AssignVariableOp assign = scope.withName(name + "_assign").assignVariableOp(handle, initialValue);
    return new ResourceVariable(handle, read, initialValue, assign);
  }

  AdapterVariable describe(String group, String kernel) {
    return new AdapterVariable(handle.op().name(), group, kernel, java.util.Arrays.stream(
        initialValue.shape().asArray()).boxed().collect(java.util.stream.Collectors.toList()),
        read.op().name() + ":0", tensorName(initialValue));
  }

  static String tensorName(Operand<?> operand) {
    return operand.op().name() + ":" + operand.asOutput().index();
  }
}
