#!/usr/bin/env bash
# Lease Y: the CoLA job (bf16, fused attention) once with each build, to see whether the new builds' longer train
# phase in tail-ab's whole runs repeats. Prints each run's time line and its step rate.
cd "$(dirname "$0")/../../.."
source scripts/leases/2026-12-04/lab-java.sh
for code in ${CODES:-old ln new}; do
  d=.gpu-code-$code; [[ $code == new ]] && d=.gpu-code
  CP=$(lab_cp $d)
  out=/tmp/cola-$code; rm -rf $out
  TF_SYNC_ON_FINISH=0 TF_XLA_FLAGS="" XLA_FLAGS="--xla_gpu_enable_triton_gemm=false --xla_gpu_enable_cudnn_fmha=true" \
    java -Xmx24g -cp $CP dev.finetune.vblora.training.cli.Main train --model $U/root/.cache/vblora/models/bert-base-uncased \
    --train $U/work/shared/data/cola/train.tsv --valid-fraction 0.1 --no-header --label-column 1 --text-column 0 \
    --epochs 5 --max-length 64 --num-vectors 90 --seed 42 --device gpu --precision bf16 --fused-attention \
    --out $out --json > /tmp/cola-$code.out 2> /tmp/cola-$code.err || echo "$code failed"
  echo "$code: $(grep -h '^done:' /tmp/cola-$code.err) | $(grep -h '^time ' /tmp/cola-$code.err)"
done
