#!/usr/bin/env bash
# Before the next lease (issue 16): the two lab jar folders of the exported-gradient A/B, both from this checkout's
# HEAD: .gpu-code as committed (MomentsForm.ONE_PASS under XLA, lease AE's) and .gpu-code-gradient with
# exported-gradient.patch applied (ONE_PASS_EXPORTED_GRADIENT under XLA). Run from anywhere; about a minute.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
cd "$ROOT"
scripts/gpu-code.sh
TREE=$(mktemp -d)/gradient
git worktree add -q --detach "$TREE" HEAD
trap 'git -C "$ROOT" worktree remove --force "$TREE"' EXIT
git -C "$TREE" apply "$ROOT/scripts/leases/next/exported-gradient.patch"
SRC="$TREE" DEST=.gpu-code-gradient scripts/gpu-code.sh
