#!/usr/bin/env bash
# For the next lease (issue 16): the one-pass moments with the model's own float32 gradient
# (ONE_PASS_EXPORTED_GRADIENT, .gpu-code-gradient) against the one-pass moments as kept after lease AE (ONE_PASS,
# TensorFlow's derivative of the float64 ops, .gpu-code); build-jars.sh makes both. SETS, ROUNDS, FIRST, PROFILE and
# HLO as scripts/gpu-ab.sh reads them.
cd "$(dirname "$0")/../../.." && A=.gpu-code A_NAME=onepass B=.gpu-code-gradient B_NAME=gradient exec scripts/gpu-ab.sh
