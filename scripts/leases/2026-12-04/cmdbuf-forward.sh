#!/usr/bin/env bash
# Lease Z, fifth machine: does XLA re-record the command buffer of a forward pass too (no variable is updated)? Counts
# the command-buffer thunk's "Update" and "Execute" lines of one all-linear fp32 forward bench with main (.gpu-code).
cd "$(dirname "$0")/../../.."
source scripts/leases/2026-12-04/lab-java.sh
CP=$(lab_cp .gpu-code)
mkdir -p /tmp/cmdbuf-forward
for mode in forward train; do
  TF_CPP_MIN_LOG_LEVEL=0 TF_CPP_VMODULE=command_buffer_thunk=3 TF_SYNC_ON_FINISH=0 \
    XLA_FLAGS="--xla_gpu_enable_triton_gemm=false" \
    java -Xmx24g -cp $CP dev.finetune.vblora.training.cli.Main bench --model $M --num-vectors 90 --vector-length 256 \
    --rank 4 --topk 2 --batch-size 32 --max-length 128 --warmup 10 --device gpu --json --targets all-linear \
    --method vblora --mode $mode --steps 20 --sync-every 25 --xla on --precision fp32 \
    > /tmp/cmdbuf-forward/$mode.json 2> /tmp/cmdbuf-forward/$mode.err
  echo "$mode $(grep -h '"median"' /tmp/cmdbuf-forward/$mode.json | head -1) updates $(grep -c 'Update command buffer' /tmp/cmdbuf-forward/$mode.err) executes $(grep -c 'Execute command buffer' /tmp/cmdbuf-forward/$mode.err)"
  grep -h 'Update command buffer' /tmp/cmdbuf-forward/$mode.err | sed 's/.*cmd sequence//' | sort | uniq -c | head -5
done
tar -C /tmp -czf $OUT/cmdbuf-forward.tgz --exclude='*.err' cmdbuf-forward
