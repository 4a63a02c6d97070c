#!/usr/bin/env bash
# Lease AA: how often XLA re-records the staged step's command buffer, auto-clustered against one XlaLaunch program
# (q,v fp32 unless SET says all-linear): counts the command-buffer thunk's "Update" and "Execute" lines.
cd "$(dirname "$0")/../../.."
source scripts/leases/2026-12-04/lab-java.sh
CP=$(lab_cp .gpu-code)
mkdir -p /tmp/whole-cmdbuf
for launch in clustered whole; do
  TF_CPP_MIN_LOG_LEVEL=0 TF_CPP_VMODULE=command_buffer_thunk=3 TF_SYNC_ON_FINISH=0 \
    XLA_FLAGS="--xla_gpu_enable_triton_gemm=false" \
    java -Xmx24g -cp $CP dev.finetune.vblora.training.cli.Main bench --model $M --num-vectors 90 --vector-length 256 \
    --rank 4 --topk 2 --batch-size 32 --max-length 128 --warmup 10 --device gpu --json --targets ${SET:-bert-qv} \
    --method vblora --mode train --steps 20 --sync-every 25 --xla on --precision fp32 --step-launch $launch \
    > /tmp/whole-cmdbuf/$launch.json 2> /tmp/whole-cmdbuf/$launch.err
  echo "$launch $(grep -h '"median"' /tmp/whole-cmdbuf/$launch.json | head -1) updates $(grep -c 'Update command buffer' /tmp/whole-cmdbuf/$launch.err) executes $(grep -c 'Execute command buffer' /tmp/whole-cmdbuf/$launch.err)"
  grep -h 'Update command buffer' /tmp/whole-cmdbuf/$launch.err | sed 's/.*cmd sequence//' | sort | uniq -c | head -5
done
tar -C /tmp -czf $OUT/whole-cmdbuf.tgz --exclude='*.err' whole-cmdbuf
