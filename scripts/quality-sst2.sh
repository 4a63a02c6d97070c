#!/usr/bin/env bash
# SST-2 quality runs (docs/results.md): VB-LoRA on bert-qv with the paper's GLUE sizes, and the LoRA r=8
# baseline on the same targets, trained the same way (same split, seed, batch, length, epochs, schedule).
#
#   scripts/quality-sst2.sh SST2_TSV OUT_DIR [extra train options, e.g. --device gpu --xla off]
#
# VBLORA (default ./vblora) is the command that runs the CLI, e.g. "java -cp ... dev.finetune.vblora.training.cli.Main"
# on a machine without Maven; MODEL (default bert-base-uncased) the SavedModel; EPOCHS (default 10);
# METHODS (default "vblora lora") which of the two runs to make.
set -euo pipefail
DATA=$1 OUT=$2; shift 2
VBLORA=${VBLORA:-./vblora}
MODEL=${MODEL:-bert-base-uncased}
EPOCHS=${EPOCHS:-10}
common=(--model "$MODEL" --train "$DATA" --valid-fraction 0.1 --no-header --label-column 0 --text-column 1
        --targets bert-qv --max-length 64 --batch-size 32 --epochs "$EPOCHS" --seed 42 --overwrite "$@")
for method in ${METHODS:-vblora lora}; do
  case $method in
    vblora) $VBLORA train "${common[@]}" --method vblora --num-vectors 90 --vector-length 256 --rank 4 --topk 2 \
              --out "$OUT/sst2-vblora" ;;
    lora)   $VBLORA train "${common[@]}" --method lora --rank 8 --lora-alpha 16 --out "$OUT/sst2-lora" ;;
    *) echo "quality-sst2.sh: unknown method $method (vblora or lora)" >&2; exit 2 ;;
  esac
done
