package dev.finetune.vblora.model;

import java.util.Arrays;
import java.util.stream.Collectors;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.AssignVariableOp;
import org.tensorflow.op.core.ReadVariableOp;
import org.tensorflow.types.TFloat32;

/**
 * An adapter variable while the rewrite builds it: the {@link ResourceVariable}, the one ReadVariableOp that
 * every use goes through (so the loss's gradient with respect to it is the variable's whole gradient), and
 * the AssignVariableOp of its seeded initial value, which {@link AdaptedGraph#initOp()} runs.
 */
record AdapterVariableOps(ResourceVariable variable, ReadVariableOp<TFloat32> read, Operand<TFloat32> initialValue,
    AssignVariableOp assign) {

  /** Creates {@code name}, {@code name_read} and {@code name_assign} in {@code scope}. */
  static AdapterVariableOps create(Ops scope, String name, Operand<TFloat32> initialValue) {
    ResourceVariable variable = ResourceVariable.declare(scope, scope.scope().makeOpName(name), TFloat32.class,
        initialValue.shape());
    ReadVariableOp<TFloat32> read = scope.withName(name + "_read").readVariableOp(variable.handle(),
        TFloat32.class);
    AssignVariableOp assign = scope.withName(name + "_assign").assignVariableOp(variable.handle(), initialValue);
    return new AdapterVariableOps(variable, read, initialValue, assign);
  }

  AdapterVariable describe(String group, String kernel) {
    return new AdapterVariable(variable.handle().op().name(), group, kernel,
        Arrays.stream(initialValue.shape().asArray()).boxed().collect(Collectors.toList()),
        tensorName(read), tensorName(initialValue));
  }

  static String tensorName(Operand<?> operand) {
    return operand.op().name() + ":" + operand.asOutput().index();
  }
}
