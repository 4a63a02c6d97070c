#!/usr/bin/env bash
# Lease Z, fifth machine: does XLA re-record the command buffer of a forward pass too (no variable is updated)? Counts
# the command-buffer thunk's "Update" and "Execute" lines of one all-linear fp32 forward bench with main (.gpu-code).
cd "$(dirname "$0")/../../.."
source scripts/leases/2026-12-04/lab-java.sh
mkdir -p /tmp/cmdbuf-forward
for mode in forward train; do
  cmdbuf_count /tmp/cmdbuf-forward $mode "$(lab_cp .gpu-code)" --targets all-linear --mode $mode
done
tar -C /tmp -czf $OUT/cmdbuf-forward.tgz --exclude='*.err' cmdbuf-forward
