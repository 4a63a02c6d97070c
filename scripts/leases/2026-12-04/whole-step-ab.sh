#!/usr/bin/env bash
# Lease AA: the staged step auto-clustered (--step-launch clustered) against one XlaLaunch program that updates its
# variables in place (--step-launch whole), one build (.gpu-code), one process per cell, alternating.
#   SETS: the steps (default the two fp32 ones); ROUND: a suffix naming a repeat (e.g. -r2); PROFILE=1 adds a
#   traced step of each set in both launches. (Lease AA ran these loops written out; gpu-lab.sh's lever-ab mode now
#   holds them, the same processes in the same order.)
cd "$(dirname "$0")/../../.."
CODE=.gpu-code SYNC=25 STEPS=20 SETS="${SETS:-qv-fp32 all-fp32}" VARIANTS="clustered whole" \
  PROFILE_VARIANTS="${PROFILE:+clustered whole}" scripts/gpu-lab.sh lever-ab
