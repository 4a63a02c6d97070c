#!/usr/bin/env bash
# Prepared for the next lease (not run yet): the update forms A/B on the steps whose targets are open. One build
# (.gpu-code), one process per cell, alternating: merged (the GPU's default), merged-factored (the merged forward pass
# with the adapter's gradients through A and B, FactoredGradients) and low-rank.
#   SETS: the steps (default the two fp32 ones; e.g. SETS="qv-bf16-fmha all-bf16-fmha qv-lora-bf16-fmha");
#   FORMS: the lever suffixes (default "merged factored lowrank"; merged adds no option); ROUND: a suffix naming a
#   repeat (e.g. -r2); PROFILE=1 adds a traced step of each set, merged and merged-factored.
cd "$(dirname "$0")/../../.."
for set in ${SETS:-qv-fp32 all-fp32}; do
  for form in ${FORMS-merged factored lowrank}; do
    CODE=.gpu-code SYNC=25 STEPS=20 LEVERS="$set-$form${ROUND:-}" scripts/gpu-lab.sh step-levers 2>&1 \
      | grep -v '^tar: Removing'
  done
done
if [[ -n "${PROFILE:-}" ]]; then
  CODE=.gpu-code SYNC=25 STEPS=20 LEVERS="$(for s in ${SETS:-qv-fp32 all-fp32}; do
    printf '%s-merged-profile %s-factored-profile ' $s $s; done)" scripts/gpu-lab.sh step-levers 2>&1 \
    | grep -v '^tar: Removing'
fi
