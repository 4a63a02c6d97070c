#!/usr/bin/env bash
# Lease Y, after tail-ab.sh: LoRA r=8 with the new build (the VB-LoRA / LoRA ratio), a second round of q,v bf16
# with the old and the new build, and a traced q,v bf16 step of the new build.
cd "$(dirname "$0")/../../.."
CODE=.gpu-code SYNC=25 STEPS=20 LEVERS="qv-lora-bf16-fmha-new all-lora-bf16-fmha-new" scripts/gpu-lab.sh step-levers \
  2>&1 | grep -v '^tar: Removing'
SETS="qv-bf16-fmha-r2" CODES="old new" bash scripts/leases/2026-12-04/tail-ab.sh
CODE=.gpu-code SYNC=25 STEPS=20 LEVERS="qv-bf16-fmha-new-profile" scripts/gpu-lab.sh step-levers \
  2>&1 | grep -v '^tar: Removing'
