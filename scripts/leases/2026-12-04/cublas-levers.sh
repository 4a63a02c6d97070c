#!/usr/bin/env bash
# Lease V: q,v steps, the lab's CUDA 13 cuBLAS against CUDA 12's, with and without cuBLASLt.
cd "$(dirname "$0")/../../.."
SYNC=25 STEPS=20 LEVERS="${LEVERS:-qv-fp32 qv-fp32-cu12 qv-fp32-cu12-cublaslt qv-bf16-fmha qv-bf16-fmha-cu12 qv-bf16-fmha-cu12-cublaslt}" \
  scripts/gpu-lab.sh step-levers
