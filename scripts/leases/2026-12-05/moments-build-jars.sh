#!/usr/bin/env bash
# Before lease AE (2026-12-05, run at 90a78be; the form is on main from the commit after the lease, so check out
# 90a78be to rebuild both): the two lab jar folders of the one-pass moments A/B, both from this checkout's HEAD:
# .gpu-code as committed (moments as exported) and .gpu-code-moments with one-pass-moments.patch applied (the
# one-pass form under XLA). Run from anywhere; takes a few minutes (two Maven builds).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
cd "$ROOT"
scripts/gpu-code.sh
TREE=$(mktemp -d)/moments
git worktree add -q --detach "$TREE" HEAD
trap 'git -C "$ROOT" worktree remove --force "$TREE"' EXIT
git -C "$TREE" apply "$ROOT/scripts/leases/2026-12-05/one-pass-moments.patch"
SRC="$TREE" DEST=.gpu-code-moments scripts/gpu-code.sh
