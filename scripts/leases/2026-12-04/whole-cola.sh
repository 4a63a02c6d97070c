#!/usr/bin/env bash
# Lease AA: issue 12's CoLA job (5 epochs, length 64, fp32, XLA cache cold) with the build under test (.gpu-code),
# whose staged steps run as one XlaLaunch program by default: wall time and best validation scores. WARM=1: a second
# run on the first run's persistent XLA cache.
cd "$(dirname "$0")/../../.."
source scripts/leases/2026-12-04/lab-java.sh
CP=$(lab_cp .gpu-code)
d=/tmp/whole-cola; rm -rf $d; [[ -z "${WARM:-}" ]] && rm -rf /tmp/whole-cola-cache; mkdir -p $d /tmp/whole-cola-cache
t0=$(date +%s.%N)
TF_SYNC_ON_FINISH=0 XLA_FLAGS="--xla_gpu_enable_triton_gemm=false" \
  TF_XLA_FLAGS="--tf_xla_persistent_cache_directory=/tmp/whole-cola-cache --tf_xla_deterministic_cluster_names=true" \
  java -Xmx24g -cp $CP dev.finetune.vblora.training.cli.Main train --model $M \
  --train $U/work/shared/data/cola/train.tsv --valid-fraction 0.1 --no-header --label-column 1 --text-column 0 \
  --epochs 5 --max-length 64 --num-vectors 90 --seed 42 --device gpu --out $d/run --json > $d/run.out 2> $d/run.err \
  || echo "train failed (see run.err)"
echo "wall_s $(awk "BEGIN{print $(date +%s.%N) - $t0}") $(grep -h '^time ' $d/run.err | tail -1)"
grep -h "best (step\|done:" $d/run.err | tail -2
tail -3 $d/run.err | cut -c1-300
tar -C /tmp -czf $OUT/whole-cola.tgz --exclude='*/merged' --exclude='*/checkpoints' --exclude='*/tensorboard' whole-cola
