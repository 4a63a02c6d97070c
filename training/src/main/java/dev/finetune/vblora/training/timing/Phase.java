package dev.finetune.vblora.training.timing;

/** The parts of a run whose wall time is recorded; each second of a run belongs to at most one of them. */
public enum Phase {
  /** JVM start to the command's first line of work: class loading, argument parsing, TensorFlow's natives. */
  STARTUP("startup"),
  /** Reading the SavedModel, discovering and selecting kernels, rewriting the graph, adding gradients. */
  LOAD("load"),
  /** Reading and tokenizing the data files. */
  DATA("data"),
  /** Creating the session (device setup) and initializing variables: base weights restored, adapter seeded. */
  INIT("init"),
  /** XLA compilations, wherever they happened (their time is taken out of the phase that triggered them). */
  COMPILE("compile"),
  /** Training steps (the session calls, and any wait for the next batch). */
  TRAIN("train"),
  /** Evaluations during the run and the final predictions on the validation set. */
  EVAL("eval"),
  /** Writing checkpoints and restoring the best one. */
  CHECKPOINTS("checkpoints"),
  /** Writing the adapter, the merged SavedModel and metrics.json. */
  EXPORT("export");

  private final String key;

  Phase(String key) {
    this.key = key;
  }

  /** The name in metrics.json and in the summary line. */
  public String key() {
    return key;
  }
}
