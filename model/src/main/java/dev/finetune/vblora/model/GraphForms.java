package dev.finetune.vblora.model;

import java.util.Objects;

/**
 * The forms in which {@link GraphRewriter} writes a training graph: each setting computes the same function and the
 * same adapter gradients (up to rounding) in a form that suits a device better.
 *
 * @param update how an adapted MatMul applies its update ({@link UpdateForm})
 * @param precision the arithmetic of the data path's matrix products ({@link GemmPrecision}; bfloat16: see {@link
 *     Bfloat16Gemms})
 * @param stepInputs whether the signature's inputs and the training flag may read staged rows ({@link StepInputs})
 * @param attention how a bfloat16 graph writes its attention cores ({@link AttentionForm}; fused needs bfloat16)
 * @param tail whether the encoder's position-wise tail runs at every position or at the one its outputs read
 *     ({@link TailForm})
 * @param softmax how the float32 Softmax ops of the data path are written ({@link SoftmaxForm})
 * @param moments how the float32 variances of tf.nn.moments on the data path are written ({@link MomentsForm})
 */
public record GraphForms(UpdateForm update, GemmPrecision precision, StepInputs stepInputs, AttentionForm attention,
    TailForm tail, SoftmaxForm softmax, MomentsForm moments) {

  public GraphForms {
    Objects.requireNonNull(update, "update");
    Objects.requireNonNull(precision, "precision");
    Objects.requireNonNull(stepInputs, "stepInputs");
    Objects.requireNonNull(attention, "attention");
    Objects.requireNonNull(tail, "tail");
    Objects.requireNonNull(softmax, "softmax");
    Objects.requireNonNull(moments, "moments");
  }

  /** The model's own forms: low-rank updates, float32, fed inputs, attention, tail, softmax, moments as exported. */
  public static GraphForms defaults() {
    return new GraphForms(UpdateForm.LOW_RANK, GemmPrecision.FLOAT32, StepInputs.FED, AttentionForm.AS_EXPORTED,
        TailForm.AS_EXPORTED, SoftmaxForm.AS_EXPORTED, MomentsForm.AS_EXPORTED);
  }

  public GraphForms withUpdate(UpdateForm value) {
    return new GraphForms(value, precision, stepInputs, attention, tail, softmax, moments);
  }

  public GraphForms withPrecision(GemmPrecision value) {
    return new GraphForms(update, value, stepInputs, attention, tail, softmax, moments);
  }

  public GraphForms withStepInputs(StepInputs value) {
    return new GraphForms(update, precision, value, attention, tail, softmax, moments);
  }

  public GraphForms withAttention(AttentionForm value) {
    return new GraphForms(update, precision, stepInputs, value, tail, softmax, moments);
  }

  public GraphForms withTail(TailForm value) {
    return new GraphForms(update, precision, stepInputs, attention, value, softmax, moments);
  }

  public GraphForms withSoftmax(SoftmaxForm value) {
    return new GraphForms(update, precision, stepInputs, attention, tail, value, moments);
  }

  public GraphForms withMoments(MomentsForm value) {
    return new GraphForms(update, precision, stepInputs, attention, tail, softmax, value);
  }
}
