package dev.finetune.vblora.training;

import dev.finetune.vblora.data.ColumnMapping;
import dev.finetune.vblora.data.Task;
import dev.finetune.vblora.savedmodel.SavedModelInfo;
import dev.finetune.vblora.savedmodel.SavedModelReader;
import dev.finetune.vblora.savedmodel.io.Pooling;
import dev.finetune.vblora.training.device.Precision;
import dev.finetune.vblora.training.method.AdapterMethod;

/**
 * The default of every training setting, in one place (as tf-java's {@code Adam.LEARNING_RATE_DEFAULT}):
 * {@link TrainConfig#builder()} starts from these, {@code vblora train --help} prints them and docs/cli.md
 * quotes them. The adapter's own hyperparameters (rank, bank size, top-k, ...) are the defaults of the model
 * module's {@code VbLoraConfig.builder()} and {@code LoraConfig.defaults()}, read the same way.
 */
public final class TrainingDefaults {
  /** The meta graph's tag set. */
  public static final String TAG = SavedModelReader.SERVE;
  /** The signature whose serving path is adapted. */
  public static final String SIGNATURE = SavedModelInfo.DEFAULT_SIGNATURE;
  /** Share of the training data held out when no validation file is given. */
  public static final double VALID_FRACTION = 0.1;
  /** The text column of the data files (GLUE's TSV header names it so). */
  public static final String TEXT_COLUMN = ColumnMapping.DEFAULT_TEXT_COLUMN;
  /** The label column of the data files. */
  public static final String LABEL_COLUMN = ColumnMapping.DEFAULT_LABEL_COLUMN;
  public static final Task TASK = Task.CLASSIFICATION;
  /** A head on features that are already pooled (BERT's pooled_output) pools nothing more. */
  public static final Pooling POOLING = Pooling.NONE;
  /** Query and value of every attention layer, the VB-LoRA paper's choice. */
  public static final String TARGETS = "bert-qv";
  /** The paper's method; LoRA is the baseline. */
  public static final AdapterMethod METHOD = AdapterMethod.VBLORA;
  public static final int EPOCHS = 3;
  public static final int BATCH_SIZE = 32;
  public static final int MAX_LENGTH = 128;
  public static final String LENGTH_BUCKETS = BatchShapes.AUTO;
  /** The VB-LoRA paper's GLUE learning rate of the vector bank. */
  public static final double LR_BANK = 1e-3;
  /** The VB-LoRA paper's GLUE learning rate of the logits. */
  public static final double LR_LOGITS = 1e-2;
  /** The LoRA factors' learning rate: the LoRA paper's GLUE range for base models. */
  public static final double LR_LORA = 5e-4;
  /** The VB-LoRA paper's GLUE learning rate of the task head. */
  public static final double LR_HEAD = 4e-3;
  /** The usual BERT fine-tuning weight decay, of the head and the LoRA factors (never of bank or logits). */
  public static final double WEIGHT_DECAY = 0.01;
  /** The usual BERT fine-tuning warmup share (RoBERTa's GLUE recipe). */
  public static final double WARMUP_RATIO = 0.06;
  public static final double MAX_GRAD_NORM = 1.0;
  public static final long LOG_EVERY = 10;
  public static final String DEVICE = "cpu";
  public static final Precision PRECISION = Precision.FP32;

  private TrainingDefaults() {}
}
