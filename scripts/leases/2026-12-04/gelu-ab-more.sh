#!/usr/bin/env bash
# all-linear fp32 A/B, LoRA r=8 rows and a traced step with the new build.
cd "$(dirname "$0")/../../.."
SETS="all-fp32" bash scripts/leases/2026-12-04/gelu-ab.sh
CODE=.gpu-code SYNC=25 STEPS=20 LEVERS="qv-lora-bf16-fmha-new all-lora-bf16-fmha-new qv-bf16-fmha-new-profile" \
  scripts/gpu-lab.sh step-levers 2>&1 | grep -v '^tar: Removing'
