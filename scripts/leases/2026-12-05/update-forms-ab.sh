#!/usr/bin/env bash
# Run in lease AB (2026-12-05): the update forms A/B on the steps whose targets are open. One build
# (.gpu-code), one process per cell, alternating: merged (the GPU's default), merged-factored (the merged forward pass
# with the adapter's gradients through A and B, FactoredGradients) and low-rank.
#   SETS: the steps (default the two fp32 ones; e.g. SETS="qv-bf16-fmha all-bf16-fmha qv-lora-bf16-fmha");
#   FORMS: the lever suffixes (default "merged factored lowrank"; merged adds no option); ROUND: a suffix naming a
#   repeat (e.g. -r2); PROFILE=1 adds a traced step of each set, merged and merged-factored.
cd "$(dirname "$0")/../../.."
CODE=.gpu-code SYNC=${SYNC:-25} STEPS=${STEPS:-20} SETS="${SETS:-qv-fp32 all-fp32}" VARIANTS="${FORMS-merged factored lowrank}" \
  PROFILE_VARIANTS="${PROFILE:+merged factored}" scripts/gpu-lab.sh lever-ab
