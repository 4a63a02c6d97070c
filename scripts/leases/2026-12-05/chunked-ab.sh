#!/usr/bin/env bash
# Run in lease AI (2026-12-05 22:45-23:03 UTC, an H200; kept as b24bbef): merged-factored's float32 factor
# gradients as a batched product over chunks of 128 rows plus a sum (chunked-factor-gradients.patch, FactoredGradients.overRows, in .gpu-code-lever)
# against main's one split-K product each (.gpu-code). Build the two folders here first:
#   git worktree add /tmp/lever HEAD && (cd /tmp/lever && git apply scripts/leases/2026-12-05/chunked-factor-gradients.patch)
#   scripts/gpu-code.sh && SRC=/tmp/lever DEST=.gpu-code-lever scripts/gpu-code.sh
# One process per cell, alternating main and lever within each set; ROUNDS repeats (default 2); PROFILE=1 adds a
# traced step with XLA's HLO of each set with each build (what the kernels became). Carry .gpu-code and
# .gpu-code-lever; ROUNDS=2 takes about 5 minutes, ROUNDS=0 PROFILE=1 about 2.
cd "$(dirname "$0")/../../.."
run() { CODE=$1 SYNC=${SYNC:-25} STEPS=${STEPS:-20} LEVERS="$2" scripts/gpu-lab.sh step-levers 2>&1 | grep -v '^tar: Removing'; }
for round in $(seq 1 ${ROUNDS:-2}); do
  for set in ${SETS:-qv-fp32 all-fp32}; do
    run .gpu-code "$set-main-r$round"
    run .gpu-code-lever "$set-chunked-r$round"
  done
done
if [[ -n "${PROFILE:-}" ]]; then
  for set in ${SETS:-qv-fp32}; do
    run .gpu-code "$set-main-profile-hlo"
    run .gpu-code-lever "$set-chunked-profile-hlo"
  done
fi
