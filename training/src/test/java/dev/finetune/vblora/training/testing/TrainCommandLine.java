package dev.finetune.vblora.training.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The {@code vblora train} command line of the short real runs on BERT-base that the CLI tests make. */
public final class TrainCommandLine {
  private TrainCommandLine() {}

  /**
   * {@code train --model bert-base-uncased --train TRAIN --valid VALID --max-length LENGTH --batch-size 4
   * --num-vectors 90 --out OUT} followed by {@code more}.
   */
  public static List<String> onBert(Path train, Path valid, int maxLength, Path out, String... more) {
    List<String> args = new ArrayList<>(List.of("train", "--model", "bert-base-uncased", "--train", train.toString(),
        "--valid", valid.toString(), "--max-length", Integer.toString(maxLength), "--batch-size", "4",
        "--num-vectors", "90", "--out", out.toString()));
    args.addAll(List.of(more));
    return args;
  }
}
