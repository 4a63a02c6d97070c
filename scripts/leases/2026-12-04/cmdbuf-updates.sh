#!/usr/bin/env bash
# Lease Z, fourth machine: does XLA re-record the step's command buffer (CUDA graph) on every step? Counts the
# command-buffer thunk's "Update" and "Execute" log lines of one all-linear fp32 bench per build.
cd "$(dirname "$0")/../../.."
source scripts/leases/2026-12-04/lab-java.sh
mkdir -p /tmp/cmdbuf
for c in old new; do
  d=.gpu-code; [[ $c == old ]] && d=.gpu-code-old
  CP=$(lab_cp $d)
  TF_CPP_MIN_LOG_LEVEL=0 TF_CPP_VMODULE=command_buffer_thunk=3,command_buffer_cmd=2 TF_SYNC_ON_FINISH=0 \
    XLA_FLAGS="--xla_gpu_enable_triton_gemm=false" \
    java -Xmx24g -cp $CP dev.finetune.vblora.training.cli.Main bench --model $M --num-vectors 90 --vector-length 256 \
    --rank 4 --topk 2 --batch-size 32 --max-length 128 --warmup 10 --device gpu --json --targets ${TARGETS:-all-linear} \
    --method vblora --mode train --steps 20 --sync-every 1 --xla on --precision fp32 > /tmp/cmdbuf/$c.json 2> /tmp/cmdbuf/$c.err
  echo "$c $(grep -h '"median"' /tmp/cmdbuf/$c.json | head -1) updates $(grep -c 'Update command buffer' /tmp/cmdbuf/$c.err) executes $(grep -c 'Execute command buffer' /tmp/cmdbuf/$c.err)"
  grep -h 'command buffer\|command_buffer' /tmp/cmdbuf/$c.err | cut -c1-300 | sort | uniq -c | sort -rn | head -8
  grep -v 'command_buffer_cmd' /tmp/cmdbuf/$c.err | grep -h 'ommand' | tail -3 | cut -c1-300
done
tar -C /tmp -czf $OUT/cmdbuf.tgz --exclude='*.err' cmdbuf
