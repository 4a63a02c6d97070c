package dev.finetune.vblora.training.optim;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.model.ElementType;
import dev.finetune.vblora.model.FedValues;
import dev.finetune.vblora.model.ResourceVariable;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Gradients;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TFloating;

/**
 * torch.optim.AdamW as graph ops, built on plain reads and AssignVariableOps so that every ordering is
 * explicit (tensorflow-framework's Adam races its beta powers against the update and takes every variable
 * of the graph). One run of the train op does, for the gradients of exactly the given variables:
 *
 * <ol>
 *   <li>t = step + 1; bias corrections 1 - beta1^t and 1 - beta2^t, computed in float64 like torch's
 *       Python scalars;
 *   <li>optional clipping: g *= min(1, maxGradNorm / (globalNorm + 1e-6)) (clip_grad_norm_);
 *   <li>per variable of a group with learning rate lr = groupLr * multiplier and weight decay wd:
 *       p = p * (1 - lr * wd); m = m + (1 - beta1) (g - m); v = beta2 v + (1 - beta2) g^2;
 *       p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps);
 *   <li>only after every assignment (control dependencies): step = t.
 * </ol>
 *
 * <p>Each new value is computed from reads taken before its own assignment, and the increment of the step
 * counter waits for all of them, so nothing reads a half-updated state.
 */
public final class AdamW {
  /** clip_grad_norm_'s guard against division by zero. */
  private static final double CLIP_EPSILON = 1e-6;

  private AdamW() {}

  /**
   * Adds gradients of {@code loss} with respect to the groups' variables, and the update ops.
   *
   * @param loss a scalar of the variables' floating type
   * @throws IllegalArgumentException when a variable appears twice, the groups mix element types, or a
   *     variable does not influence the loss
   */
  public static TrainStep minimize(Ops tf, Operand<? extends TFloating> loss, List<ParameterGroup> groups,
      AdamWConfig config) {
    return minimize(tf, loss, groups, config, FedValues.PLAIN);
  }

  /** As {@link #minimize(Ops, Operand, List, AdamWConfig)}, the learning-rate multiplier made by {@code fed}. */
  public static TrainStep minimize(Ops tf, Operand<? extends TFloating> loss, List<ParameterGroup> groups,
      AdamWConfig config, FedValues fed) {
    ElementType type = commonType(groups);
    if (ElementType.of(loss.type()) != type) {
      throw new VbLoraException("the loss is " + ElementType.of(loss.type())
          + " but the trained variables are " + type + "; build the loss in the variables' type");
    }
    @SuppressWarnings("unchecked")
    Class<? extends TFloating> floating = (Class<? extends TFloating>) type.tensorType();
    return build(tf, loss, groups, config, floating, fed);
  }

  private static <T extends TFloating> TrainStep build(Ops tf, Operand<? extends TFloating> loss,
      List<ParameterGroup> groups, AdamWConfig config, Class<T> type, FedValues fed) {
    List<ResourceVariable> variables = groups.stream().flatMap(g -> g.variables().stream()).toList();
    Ops opt = tf.withSubScope("adamw");
    List<Operand<T>> grads = gradients(opt, loss, groups, variables, type);

    ResourceVariable step = ResourceVariable.create(tf, "optimizer/step", tf.constant(0L));
    Operand<TInt64> t = opt.math.add(step.read(opt, TInt64.class), opt.constant(1L));
    Operand<TFloat64> tReal = opt.dtypes.cast(t, TFloat64.class);
    Operand<TFloat64> biasCorrection1 = oneMinus(opt, opt.math.pow(opt.constant(config.beta1()), tReal));
    Operand<TFloat64> biasCorrection2 = oneMinus(opt, opt.math.pow(opt.constant(config.beta2()), tReal));
    Operand<TFloat64> multiplier =
        fed.placeholder(opt, FedValues.LEARNING_RATE_MULTIPLIER, TFloat64.class, Shape.scalar());

    Operand<T> globalNorm = globalNorm(opt, grads);
    Operand<T> clip = config.clipping()
        ? opt.math.minimum(opt.math.div(constant(opt, config.maxGradNorm(), type),
            opt.math.add(globalNorm, constant(opt, CLIP_EPSILON, type))), constant(opt, 1.0, type))
        : null;

    Operand<T> bc2Sqrt = opt.dtypes.cast(opt.math.sqrt(biasCorrection2), type);
    List<ResourceVariable> slots = new ArrayList<>();
    List<Op> updates = new ArrayList<>();
    int index = 0;
    for (ParameterGroup group : groups) {
      Ops g = opt.withSubScope(group.name());
      Operand<TFloat64> lr = g.math.mul(g.constant(group.learningRate()), multiplier);
      Operand<T> stepSize = g.dtypes.cast(g.math.div(lr, biasCorrection1), type);
      Operand<T> decay = g.dtypes.cast(oneMinus(g, g.math.mul(lr, g.constant(group.weightDecay()))), type);
      for (ResourceVariable p : group.variables()) {
        Operand<T> grad = clip == null ? grads.get(index) : g.math.mul(grads.get(index), clip);
        index++;
        ResourceVariable m = zeroSlot(tf, "optimizer/m/" + p.name(), p, type);
        ResourceVariable v = zeroSlot(tf, "optimizer/v/" + p.name(), p, type);
        slots.add(m);
        slots.add(v);
        updates.addAll(update(g, p, m, v, grad, stepSize, decay, bc2Sqrt, config, type));
      }
    }
    Op trainOp = opt.withControlDependencies(updates).withName("train").assignVariableOp(step.handle(), t);
    return new TrainStep(trainOp, multiplier, globalNorm, step, slots, groups);
  }

  private static <T extends TFloating> List<Op> update(Ops g, ResourceVariable p, ResourceVariable m,
      ResourceVariable v, Operand<T> grad, Operand<T> stepSize, Operand<T> decay, Operand<T> bc2Sqrt,
      AdamWConfig config, Class<T> type) {
    Operand<T> mOld = m.read(g, type);
    Operand<T> vOld = v.read(g, type);
    Operand<T> mNew = g.math.add(mOld,
        g.math.mul(g.math.sub(grad, mOld), constant(g, 1 - config.beta1(), type)));
    Operand<T> vNew = g.math.add(g.math.mul(vOld, constant(g, config.beta2(), type)),
        g.math.mul(g.math.square(grad), constant(g, 1 - config.beta2(), type)));
    Operand<T> denom = g.math.add(g.math.div(g.math.sqrt(vNew), bc2Sqrt), constant(g, config.epsilon(), type));
    Operand<T> decayed = g.math.mul(p.read(g, type), decay);
    Operand<T> pNew = g.math.sub(decayed, g.math.mul(stepSize, g.math.div(mNew, denom)));
    return List.of(g.assignVariableOp(m.handle(), mNew), g.assignVariableOp(v.handle(), vNew),
        g.assignVariableOp(p.handle(), pNew));
  }

  private static <T extends TFloating> List<Operand<T>> gradients(Ops tf, Operand<? extends TFloating> loss,
      List<ParameterGroup> groups, List<ResourceVariable> variables, Class<T> type) {
    requireReachable(loss, groups, variables);
    Gradients gradients = tf.gradients(loss,
        variables.stream().map(ResourceVariable::handle).toList());
    List<Operand<T>> grads = new ArrayList<>();
    for (int i = 0; i < variables.size(); i++) {
      Output<?> dy = gradients.dy().get(i);
      if (dy == null) {
        ResourceVariable v = variables.get(i);
        throw new VbLoraException("variable " + v.name() + " of parameter group "
            + groupOf(groups, v) + " does not influence the loss, so it has no gradient; remove it from"
            + " the group or check that the forward graph reads it");
      }
      grads.add(dy.expect(type));
    }
    return grads;
  }

  /** TensorFlow's own error for an unreachable variable names neither its group nor a remedy. */
  private static void requireReachable(Operand<?> loss, List<ParameterGroup> groups,
      List<ResourceVariable> variables) {
    Set<Operation> reached = new HashSet<>();
    Deque<Operation> pending = new ArrayDeque<>(List.of(loss.op()));
    while (!pending.isEmpty()) {
      Operation op = pending.pop();
      if (reached.add(op) && op instanceof GraphOperation graphOp) {
        for (int i = 0; i < graphOp.numInputs(); i++) {
          pending.push(graphOp.input(i).op());
        }
      }
    }
    for (ResourceVariable v : variables) {
      if (!reached.contains(v.handle().op())) {
        throw new VbLoraException("variable " + v.name() + " of parameter group "
            + groupOf(groups, v) + " does not influence the loss, so it has no gradient; remove it from"
            + " the group or check that the forward graph reads it");
      }
    }
  }

  private static <T extends TFloating> Operand<T> globalNorm(Ops tf, List<Operand<T>> grads) {
    List<Operand<T>> squares = new ArrayList<>();
    for (Operand<T> grad : grads) {
      int rank = grad.shape().numDimensions();
      int[] axes = new int[Math.max(rank, 0)];
      for (int i = 0; i < axes.length; i++) {
        axes[i] = i;
      }
      squares.add(tf.reduceSum(tf.math.square(grad), tf.constant(axes)));
    }
    Operand<T> sum = squares.size() == 1 ? squares.get(0) : tf.math.addN(squares);
    return tf.withName("global_grad_norm").math.sqrt(sum);
  }

  private static <T extends TFloating> ResourceVariable zeroSlot(Ops tf, String name, ResourceVariable like,
      Class<T> type) {
    return ResourceVariable.create(tf, name,
        tf.fill(tf.constant(like.shape()), constant(tf, 0.0, type)));
  }

  private static Operand<TFloat64> oneMinus(Ops tf, Operand<TFloat64> x) {
    return tf.math.sub(tf.constant(1.0), x);
  }

  private static <T extends TFloating> Operand<T> constant(Ops tf, double value, Class<T> type) {
    return tf.dtypes.cast(tf.constant(value), type);
  }

  private static ElementType commonType(List<ParameterGroup> groups) {
    if (groups.isEmpty()) {
      throw new VbLoraException("AdamW needs at least one parameter group");
    }
    Set<String> groupNames = new HashSet<>();
    Set<String> seen = new HashSet<>();
    ElementType type = groups.get(0).variables().get(0).type();
    for (ParameterGroup group : groups) {
      if (!groupNames.add(group.name())) {
        throw new VbLoraException("parameter group name " + group.name() + " is used twice");
      }
      for (ResourceVariable v : group.variables()) {
        if (!seen.add(v.name())) {
          throw new VbLoraException("variable " + v.name() + " is in more than one parameter group"
              + " (or twice in " + group.name() + "); put each variable in exactly one group");
        }
        if (v.type() != type || !type.isFloating()) {
          throw new VbLoraException("variable " + v.name() + " of group " + group.name() + " is "
              + v.type() + " but the first trained variable is " + type
              + "; all trained variables must share one floating type (F32 or F64)");
        }
      }
    }
    return type;
  }

  private static String groupOf(List<ParameterGroup> groups, ResourceVariable v) {
    return groups.stream().filter(g -> g.variables().contains(v)).map(ParameterGroup::name).findFirst()
        .orElse("?");
  }
}
