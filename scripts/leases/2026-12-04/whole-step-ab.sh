#!/usr/bin/env bash
# Lease AA: the staged step auto-clustered (--step-launch clustered) against one XlaLaunch program that updates its
# variables in place (--step-launch whole), one build (.gpu-code), one process per cell, alternating.
#   SETS: the steps (default the two fp32 ones); ROUND: a suffix naming a repeat (e.g. -r2); PROFILE=1 adds a
#   traced step of each set in both launches.
cd "$(dirname "$0")/../../.."
for set in ${SETS:-qv-fp32 all-fp32}; do
  for launch in clustered whole; do
    CODE=.gpu-code SYNC=25 STEPS=20 LEVERS="$set-$launch${ROUND:-}" scripts/gpu-lab.sh step-levers 2>&1 \
      | grep -v '^tar: Removing'
  done
done
if [[ -n "${PROFILE:-}" ]]; then
  CODE=.gpu-code SYNC=25 STEPS=20 LEVERS="$(for s in ${SETS:-qv-fp32 all-fp32}; do
    printf '%s-clustered-profile %s-whole-profile ' $s $s; done)" scripts/gpu-lab.sh step-levers 2>&1 \
    | grep -v '^tar: Removing'
fi
