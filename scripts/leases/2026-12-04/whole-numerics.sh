#!/usr/bin/env bash
# Prepared for the next lease (not run yet): XLA's numerics of the step train runs on a GPU, bench --compare-xla
# (XLA off, fed, against XLA on, staged and whole), q,v VB-LoRA, 32 x 128, 100 steps, with the build under test.
cd "$(dirname "$0")/../../.."
source scripts/leases/2026-12-04/lab-java.sh
d=/tmp/whole-numerics; mkdir -p $d
TF_SYNC_ON_FINISH=0 XLA_FLAGS="--xla_gpu_enable_triton_gemm=false" \
  java -Xmx24g -cp "$(lab_cp .gpu-code)" dev.finetune.vblora.training.cli.Main bench --model $M --num-vectors 90 \
  --vector-length 256 --rank 4 --topk 2 --batch-size 32 --max-length 128 --device gpu --json --targets bert-qv \
  --method vblora --compare-xla --steps ${STEPS:-100} > $d/vblora.json 2> $d/vblora.err || echo "failed (see vblora.err)"
python3 - $d/vblora.json <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c = c.get("comparisons", [c])[0] if isinstance(c, dict) else c[0]
off, on = c["losses_xla_off"], c["losses_xla_on"]
rel = lambda i: abs(on[i] - off[i]) / abs(off[i])
print("step_launch", c.get("step_launch"), "xla_clusters", c.get("xla_clusters"))
print("relative diff: first %.2g, step 2 %.2g, step 10 %.2g, step 20 %.2g, max %.3g (step %d; losses %.3g vs %.3g)" % (
    rel(0), rel(2), rel(10), rel(20), c["max_relative_loss_difference"], c["step_of_max"], off[c["step_of_max"]],
    on[c["step_of_max"]]))
print("step_ms_median", c["step_ms_median"])
PY
tail -3 $d/vblora.err | cut -c1-300
tar -C /tmp -czf $OUT/whole-numerics.tgz --exclude='*.err' whole-numerics
