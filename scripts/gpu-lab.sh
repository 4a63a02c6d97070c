#!/usr/bin/env bash
# The GPU runs behind docs/results.md and docs/benchmarks.md, as made on the lent H200 (see ../shared/gpu/README.md
# for how TF-Java's GPU build gets there). Run from the repository root on that machine after the lab is
# unpacked; our own jars travel in .gpu-code/, dependency jars, BERT and SST-2 under /root/gpu-lab/user/.
#
#   scripts/gpu-lab.sh smoke|quality-vblora|quality-lora|bench-qv|bench-more   (results under $OUT)
set -euo pipefail
LAB=${LAB:-/root/gpu-lab}   # another folder only to rehearse this script elsewhere
source $LAB/env.sh
U=$LAB/user
CP="$TF_GPU_CP:$(ls $U/.gpu-jars/*.jar | paste -sd:):$(ls "$PWD"/.gpu-code/*.jar | paste -sd:)"
MODEL=$U/root/.cache/vblora/models/bert-base-uncased
SST2=$U/work/shared/data/sst2/train.tsv
OUT=${OUT:-/tmp/out}
DEVICE=${DEVICE:-gpu}            # cpu only to rehearse this script elsewhere
QUALITY_ARGS=${QUALITY_ARGS:-}   # e.g. "--max-steps 2" for a rehearsal
VBLORA="java -Xmx24g -cp $CP dev.finetune.vblora.training.cli.Main"
# The paper's GLUE sizes; batch 32 x 128 as in the PEFT figures of issue 6.
BENCH="$VBLORA bench --model $MODEL --num-vectors 90 --vector-length 256 --rank 4 --topk 2 --lora-rank 8
       --batch-size 32 --max-length 128 --warmup 10 --device $DEVICE --json"

case "$1" in
  smoke)
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || true
    $VBLORA bench --model $MODEL --method none --mode forward --batch-size 32 --max-length 128 --steps 20 \
      --device $DEVICE --xla on
    ;;
  quality-vblora|quality-lora)
    # Exact float32 (TF32 off) so the merged model can be compared with the adapted one at 1e-4.
    export NVIDIA_TF32_OVERRIDE=0
    method=${1#quality-}
    METHODS=$method VBLORA="$VBLORA" MODEL=$MODEL scripts/quality-sst2.sh $SST2 /tmp/runs --device $DEVICE --xla off $QUALITY_ARGS
    run=/tmp/runs/sst2-$method
    # A fresh JVM loads the merged SavedModel and scores the held-out split against the adapted model's outputs.
    $VBLORA eval --model $run/merged --data $run/valid_split.tsv --max-length 64 --device $DEVICE --xla off \
      --compare-predictions $run/valid_predictions.tsv --json > $run/eval_merged.json
    tar -C /tmp/runs -czf $OUT/sst2-$method.tgz --exclude='*/merged' --exclude='*/checkpoints' sst2-$method
    ;;
  bench-qv)
    $BENCH --targets bert-qv --method vblora,lora --mode all --steps 50 --xla on --profile > $OUT/bench-qv-xla.json
    $BENCH --targets bert-qv --method vblora,lora --mode train --steps 50 --xla off > $OUT/bench-qv-noxla.json
    $BENCH --targets all-linear --method vblora,lora --mode train --steps 50 --xla on > $OUT/bench-all-linear-xla.json
    ;;
  bench-more)
    $BENCH --targets bert-qv --method vblora,lora --mode train --steps 50 --xla on --precision fp16 > $OUT/bench-qv-fp16.json
    $BENCH --targets bert-qv --method vblora --mode train --steps 50 --xla on > $OUT/bench-mem-vblora.json
    $BENCH --targets bert-qv --method lora --mode train --steps 50 --xla on > $OUT/bench-mem-lora.json
    $BENCH --targets bert-qv --method vblora --compare-xla --steps 100 > $OUT/xla-numerics.json
    ;;
  *) echo "usage: $0 smoke|quality|bench-qv|bench-more" >&2; exit 2 ;;
esac
