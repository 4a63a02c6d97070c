#!/usr/bin/env bash
# A lab A/B of two builds on the lent GPU (run there from the repository root after staging): one bench process per
# cell, alternating the builds within each set of steps (scripts/gpu-lab.sh step-levers names the steps).
#   A=.gpu-code A_NAME=main B=.gpu-code-x B_NAME=x scripts/gpu-ab.sh
#   SETS   the steps (default "qv-fp32 all-fp32"); ROUNDS repeats (default 2), FIRST names the first round (default 1)
#   PROFILE=1 adds a traced q,v fp32 step with each build, HLO=1 the optimized HLO of one
#   SYNC, STEPS: steps per loss read (default 25) and timed groups (default 20)
# Each cell's JSON is "$set-$NAME-r$round" in step-levers.tgz under $OUT, and its median goes to stdout; a cell that
# fails says so there ("... failed") and the A/B goes on, so read the output, not the exit status.
cd "$(dirname "$0")/.."
: "${A:?A: the first build's jar folder}" "${B:?B: the second build's jar folder}"
A_NAME=${A_NAME:-a}; B_NAME=${B_NAME:-b}
run() {
  CODE=$1 SYNC=${SYNC:-25} STEPS=${STEPS:-20} LEVERS="$2" scripts/gpu-lab.sh step-levers 2>&1 \
    | grep -v '^tar: Removing'
}
for round in $(seq "${FIRST:-1}" $(( ${FIRST:-1} + ${ROUNDS:-2} - 1 ))); do
  for set in ${SETS:-qv-fp32 all-fp32}; do
    run "$A" "$set-$A_NAME-r$round"
    run "$B" "$set-$B_NAME-r$round"
  done
done
extras=()
[[ ${PROFILE:-} == 1 ]] && extras+=(profile)
[[ ${HLO:-} == 1 ]] && extras+=(hlo)
for extra in "${extras[@]}"; do
  run "$A" "qv-fp32-$A_NAME-$extra"
  run "$B" "qv-fp32-$B_NAME-$extra"
done
true
