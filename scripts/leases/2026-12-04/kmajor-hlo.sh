#!/usr/bin/env bash
# Lease Z: the optimized HLO of the fp32 q,v step with the new build (.gpu-code), to read the weight gradients'
# products and the layouts of their operands.
cd "$(dirname "$0")/../../.."
source scripts/leases/2026-12-04/lab-java.sh
CP=$(lab_cp ${CODE:-.gpu-code})
d=/tmp/hlo-kmajor; mkdir -p $d
TF_XLA_FLAGS="" XLA_FLAGS="--xla_gpu_enable_triton_gemm=false --xla_dump_to=$d --xla_dump_hlo_as_text" \
  java -Xmx24g -cp $CP dev.finetune.vblora.training.cli.Main bench --model $M --num-vectors 90 --vector-length 256 \
  --rank 4 --topk 2 --batch-size 32 --max-length 128 --warmup 2 --device gpu --json --targets ${TARGETS:-bert-qv} \
  --method vblora --mode train --steps 3 --sync-every 1 --xla on --precision fp32 > $d/bench.json 2> $d/bench.err \
  || echo "hlo failed"
find $d -type f ! -name '*after_optimizations.txt' ! -name 'bench.*' -delete
grep -h '__cublas\$gemm' $d/*after_optimizations.txt | grep -c 'Gradients' || true
tar -C /tmp -czf $OUT/hlo-kmajor.tgz hlo-kmajor
