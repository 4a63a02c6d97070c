package dev.finetune.vblora.training;

import dev.finetune.vblora.data.error.InvalidSettingException;
import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.model.AdapterPlan;
import dev.finetune.vblora.model.AttentionForm;
import dev.finetune.vblora.model.GemmPrecision;
import dev.finetune.vblora.model.GraphForms;
import dev.finetune.vblora.model.MomentsForm;
import dev.finetune.vblora.model.SoftmaxForm;
import dev.finetune.vblora.model.StepInputs;
import dev.finetune.vblora.model.TailForm;
import dev.finetune.vblora.model.UpdateForm;
import dev.finetune.vblora.training.device.DeviceOptions;
import dev.finetune.vblora.savedmodel.SavedModelInfo;
import dev.finetune.vblora.training.head.ClassificationHead;
import dev.finetune.vblora.training.head.RegressionHead;
import dev.finetune.vblora.training.head.TaskHead;
import dev.finetune.vblora.savedmodel.io.ModelIo;
import dev.finetune.vblora.savedmodel.io.ModelOutput;
import dev.finetune.vblora.training.optim.AdamWConfig;
import dev.finetune.vblora.training.optim.GroupHyperparameters;
import dev.finetune.vblora.training.optim.VbLoraGroupSettings;
import java.util.List;
import java.util.Objects;

/**
 * What a {@link TrainingGraph} is built from.
 *
 * @param model the SavedModel (SavedModelReader.read), its checkpoint holding the base weights
 * @param signature the signature whose serving path is adapted and whose inputs and outputs {@code io} names
 * @param plan the adapter (VB-LoRA or LoRA) and its target kernels
 * @param io how batches feed the signature's inputs and which output is trained (a new head on features, or
 *     the model's own output)
 * @param head the new task head: classification with n classes, or regression; null when {@code io} trains the
 *     model's own output
 * @param groups learning rate and weight decay of the bank, logits and head groups (defaults: {@link
 *     VbLoraGroupSettings#paperDefaults()})
 * @param loraFactors learning rate and weight decay of the LoRA factors (the LoRA baseline only)
 * @param adamW betas, epsilon and the global gradient norm clipping threshold
 * @param forms the forms in which the graph is written (see {@link GraphForms}): the update form of the adapted
 *     MatMuls, the products' precision, fed or staged step inputs, the attention, tail and softmax forms; the
 *     builder sets them one by one or from a device ({@link Builder#deviceForms})
 * @param stepLaunch how a staged step is handed to XLA (see {@link StepLaunch}; {@link DeviceOptions#stepLaunch});
 *     fed steps are always as built
 */
public record TrainingGraphSpec(SavedModelInfo model, String signature, AdapterPlan plan, ModelIo io, TaskHead head,
    VbLoraGroupSettings groups, GroupHyperparameters loraFactors, AdamWConfig adamW, GraphForms forms,
    StepLaunch stepLaunch) {

  /**
   * The LoRA baseline's default, what {@code train} uses: {@link TrainingDefaults#LR_LORA} and {@link
   * TrainingDefaults#WEIGHT_DECAY}.
   */
  public static final GroupHyperparameters LORA_DEFAULTS = new GroupHyperparameters(TrainingDefaults.LR_LORA,
      TrainingDefaults.WEIGHT_DECAY);

  public TrainingGraphSpec {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(signature, "signature");
    Objects.requireNonNull(plan, "plan");
    Objects.requireNonNull(io, "io");
    if (io.ownOutput() != (head == null)) {
      throw new VbLoraException(io.ownOutput()
          ? "the run trains the model's own output '" + ((ModelOutput.OwnOutput) io.output()).key()
              + "', which takes no new head; leave classification(...)/regression(...) out, or give io(...) the"
              + " features a new head should read"
          : "head: choose classification(numClasses, seed) or regression(seed)");
    }
    Objects.requireNonNull(groups, "groups");
    Objects.requireNonNull(loraFactors, "loraFactors");
    Objects.requireNonNull(adamW, "adamW");
    Objects.requireNonNull(forms, "forms");
    Objects.requireNonNull(stepLaunch, "stepLaunch");
    if (forms.attention() == AttentionForm.FUSED && forms.precision() != GemmPrecision.BFLOAT16) {
      throw new InvalidSettingException(List.of("attentionForm", "gemmPrecision"), "the fused attention form is "
          + "written for bfloat16 products, but they are " + forms.precision() + "; set gemmPrecision BFLOAT16");
    }
  }

  public static Builder builder(SavedModelInfo model, AdapterPlan plan) {
    return new Builder(model, plan);
  }

  /**
   * Builder: serving_default, paper learning rates, AdamW defaults with clipping at 1.0, the low-rank update
   * form; a head is required.
   */
  public static final class Builder {
    private final SavedModelInfo model;
    private final AdapterPlan plan;
    private String signature = SavedModelInfo.DEFAULT_SIGNATURE;
    private TaskHead head;
    private ModelIo io;
    private VbLoraGroupSettings groups = VbLoraGroupSettings.paperDefaults();
    private GroupHyperparameters loraFactors = LORA_DEFAULTS;
    private AdamWConfig adamW = AdamWConfig.defaults();
    private UpdateForm updateForm = UpdateForm.LOW_RANK;
    private GemmPrecision gemmPrecision = GemmPrecision.FLOAT32;
    private StepInputs stepInputs = StepInputs.FED;
    private AttentionForm attentionForm = AttentionForm.AS_EXPORTED;
    private TailForm tailForm = TailForm.AS_EXPORTED;
    private SoftmaxForm softmaxForm = SoftmaxForm.AS_EXPORTED;
    private MomentsForm momentsForm = MomentsForm.AS_EXPORTED;
    private StepLaunch stepLaunch = StepLaunch.CLUSTERED;

    private Builder(SavedModelInfo model, AdapterPlan plan) {
      this.model = model;
      this.plan = plan;
    }

    public Builder signature(String value) {
      signature = value;
      return this;
    }

    /** A classifier over {@code numClasses} classes, its kernel drawn from {@code seed}. */
    public Builder classification(int numClasses, long seed) {
      head = new ClassificationHead(numClasses, seed);
      return this;
    }

    /** A single-value regressor, its kernel drawn from {@code seed}. */
    public Builder regression(long seed) {
      head = new RegressionHead(seed);
      return this;
    }

    /** How the model is fed and read (default: detected from the signature, see {@link ModelIo#resolve}). */
    public Builder io(ModelIo value) {
      io = value;
      return this;
    }

    public Builder head(TaskHead value) {
      head = value;
      return this;
    }

    public Builder groups(VbLoraGroupSettings value) {
      groups = value;
      return this;
    }

    public Builder loraFactors(GroupHyperparameters value) {
      loraFactors = value;
      return this;
    }

    public Builder adamW(AdamWConfig value) {
      adamW = value;
      return this;
    }

    public Builder updateForm(UpdateForm value) {
      updateForm = value;
      return this;
    }

    /** The data path's matrix products (default float32; see {@link DeviceOptions#gemmPrecision}). */
    public Builder gemmPrecision(GemmPrecision value) {
      gemmPrecision = value;
      return this;
    }

    /**
     * {@link StepInputs#STAGED}: every value a step is fed can instead be staged on the device for many steps
     * at once (default fed; see {@link TrainingGraph#staging()}).
     */
    public Builder stepInputs(StepInputs value) {
      stepInputs = value;
      return this;
    }

    /**
     * The attention cores of a bfloat16 graph in the form XLA's cuDNN fused-attention rewriter matches (default:
     * the model's own; see {@link DeviceOptions#fusedAttention}).
     */
    public Builder attentionForm(AttentionForm value) {
      attentionForm = value;
      return this;
    }

    /**
     * The encoder's position-wise tail at the one position the outputs read (default: every position, so that a
     * zero adapter reproduces the model bit for bit; see {@link DeviceOptions#tailForm}).
     */
    public Builder tailForm(TailForm value) {
      tailForm = value;
      return this;
    }

    /**
     * The data path's float32 Softmax ops as exp(x - logsumexp(x)) (default: as exported; see {@link
     * DeviceOptions#softmaxForm}).
     */
    public Builder softmaxForm(SoftmaxForm value) {
      softmaxForm = value;
      return this;
    }

    /**
     * The data path's float32 variances of tf.nn.moments in one pass with their means (default: as exported; see
     * {@link DeviceOptions#momentsForm}).
     */
    public Builder momentsForm(MomentsForm value) {
      momentsForm = value;
      return this;
    }

    /** How a staged step is handed to XLA (default: {@link StepLaunch#CLUSTERED}). */
    public Builder stepLaunch(StepLaunch value) {
      stepLaunch = value;
      return this;
    }

    /**
     * The forms {@code device} chooses for the graph: its products' precision ({@link DeviceOptions#gemmPrecision}),
     * attention form ({@link DeviceOptions#attentionForm}), tail form ({@link DeviceOptions#tailForm}), softmax
     * form ({@link DeviceOptions#softmaxForm}), moments form ({@link DeviceOptions#momentsForm}) and staged step
     * launch ({@link DeviceOptions#stepLaunch}).
     */
    public Builder deviceForms(DeviceOptions device) {
      return gemmPrecision(device.gemmPrecision()).attentionForm(device.attentionForm()).tailForm(device.tailForm())
          .softmaxForm(device.softmaxForm()).momentsForm(device.momentsForm()).stepLaunch(device.stepLaunch());
    }

    public TrainingGraphSpec spec() {
      ModelIo resolved = io != null ? io : ModelIo.resolve(model, signature, ModelIo.Settings.detected());
      return new TrainingGraphSpec(model, signature, plan, resolved, head, groups, loraFactors, adamW,
          new GraphForms(updateForm, gemmPrecision, stepInputs, attentionForm, tailForm, softmaxForm, momentsForm),
          stepLaunch);
    }

    /** Builds the graph (seconds for a real model). */
    public TrainingGraph build() {
      return TrainingGraph.build(spec());
    }
  }
}
