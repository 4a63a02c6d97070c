#!/usr/bin/env bash
# Lease AA: how often XLA re-records the staged step's command buffer, auto-clustered against one XlaLaunch program
# (q,v fp32 unless SET says all-linear): counts the command-buffer thunk's "Update" and "Execute" lines.
cd "$(dirname "$0")/../../.."
source scripts/leases/2026-12-04/lab-java.sh
mkdir -p /tmp/whole-cmdbuf
for launch in clustered whole; do
  cmdbuf_count /tmp/whole-cmdbuf $launch "$(lab_cp .gpu-code)" --targets ${SET:-bert-qv} --mode train \
    --step-launch $launch
done
tar -C /tmp -czf $OUT/whole-cmdbuf.tgz --exclude='*.err' whole-cmdbuf
