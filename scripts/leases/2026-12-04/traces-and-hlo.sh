#!/usr/bin/env bash
# Lease W: traced steps (fp32 and fused bf16, q,v) and their optimized HLO, to attribute kernels to ops.
cd "$(dirname "$0")/../../.."
SYNC=25 STEPS=20 LEVERS="qv-fp32-profile qv-bf16-fmha-profile" scripts/gpu-lab.sh step-levers
source scripts/leases/2026-12-04/lab-java.sh
CP=$(lab_cp ${CODE:-.gpu-code})
for p in fp32 bf16; do
  d=/tmp/hlo-$p; mkdir -p $d
  extra=""; fl=""; [[ $p == bf16 ]] && extra="--fused-attention" && fl="--xla_gpu_enable_cudnn_fmha=true"
  TF_XLA_FLAGS="" XLA_FLAGS="--xla_gpu_enable_triton_gemm=false $fl --xla_dump_to=$d --xla_dump_hlo_as_text" \
    java -Xmx24g -cp $CP dev.finetune.vblora.training.cli.Main bench --model $M --num-vectors 90 --vector-length 256 \
    --rank 4 --topk 2 --batch-size 32 --max-length 128 --warmup 2 --device gpu --json --targets bert-qv --method vblora \
    --mode train --steps 3 --sync-every 1 --xla on --precision $p $extra > $d/bench.json 2> $d/bench.err || echo "hlo $p failed"
  find $d -type f ! -name '*after_optimizations.txt' ! -name 'bench.*' -delete
done
tar -C /tmp -czf $OUT/hlo.tgz hlo-fp32 hlo-bf16
