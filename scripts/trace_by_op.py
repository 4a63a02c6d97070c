#!/usr/bin/env python3
"""Sums a traced GPU step's kernel time by the TensorFlow op each kernel computes.

Inputs are what one `scripts/gpu-lab.sh step-levers` cell with a `-profile-hlo` lever leaves (e.g.
LEVERS=qv-fp32-profile-hlo): the trace (`vblora bench --profile-out`, a TSV of device, node, label, start_us,
duration_us) and XLA's optimized HLO (`--xla_dump_to`, only the *after_optimizations.txt files kept). Every XLA fusion
in the HLO names the TensorFlow op it was built from (its `metadata`); a kernel of the trace carries the fusion's
name, with '.' written as '_'. Kernels without a fusion of that name are the library's products (cuBLAS, CUTLASS).

    python3 scripts/trace_by_op.py STEP.tsv STEP-hlo [--rows]

prints one line per group: kernels, microseconds, and the group. Groups: `products`; `forward` or `backward` (the
op's name under the optimizer's gradient scope) with the op's layer part (LayerNorm, GELU, softmax, adapter) or, for
other ops, its type and the fusion's output shape; `optimizer` for the update. --rows also lists every kernel.
Only the trace's all-streams rows are counted (each kernel appears once there).
"""
import argparse
import collections
import csv
import glob
import re
import sys

FUSION = re.compile(r'\s+(?:ROOT )?(\S+) = (.*?) fusion\(.*metadata=\{op_type="([^"]*)" op_name="([^"]*)"')
# The scope TF-Java's gradients get in a vblora training graph (the optimizer builds them).
GRADIENTS = 'adamw/Gradients/'
# The adapter's own ops live under vblora/; the model's ops keep their names, with vblora's rewrites as a suffix
# (vblora_one_pass, vblora_gelu_tanh, vblora_softmax_lse).
PARTS = (('LayerNorm', 'LayerNorm'), ('vblora_one_pass', 'LayerNorm'), ('gelu', 'GELU'), ('/Softmax', 'softmax'))


def fusions(hlo_dir):
    """Fusion name as the trace writes it -> (op type, op name, output shape) from the step's optimized HLO."""
    files = [f for f in glob.glob(hlo_dir + '/*after_optimizations.txt') if 'step' in f] \
        or glob.glob(hlo_dir + '/*after_optimizations.txt')
    if not files:
        sys.exit('no *after_optimizations.txt in ' + hlo_dir)
    found = {}
    for path in files:
        with open(path) as hlo:
            for line in hlo:
                m = FUSION.match(line)
                if m:
                    shape = re.sub(r'\{[^}]*\}|/\*index=\d+\*/', '', m.group(2))  # without layouts and index comments
                    found[m.group(1).replace('.', '_')] = (m.group(3), m.group(4), shape)
    return found


def group(kernel, known):
    if kernel not in known:
        return 'products' if 'gemm' in kernel or kernel in ('void',) else 'unmatched ' + re.sub(r'_\d+$', '', kernel)
    op_type, op_name, shape = known[kernel]
    backward = op_name.startswith(GRADIENTS)
    if not backward and (op_name.startswith('adamw/') or 'Assign' in op_type):
        return 'optimizer'
    side = 'backward' if backward else 'forward'
    if op_name.removeprefix(GRADIENTS).startswith('vblora/'):
        return side + ' adapter'
    for marker, part in PARTS:
        if marker in op_name:
            return side + ' ' + part
    return '%s other %s %s' % (side, op_type, shape)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('trace')
    parser.add_argument('hlo_dir')
    parser.add_argument('--rows', action='store_true', help='list every kernel with its group')
    args = parser.parse_args()
    known = fusions(args.hlo_dir)
    totals = collections.defaultdict(lambda: [0, 0.0])
    with open(args.trace) as tsv:
        for row in csv.DictReader(tsv, delimiter='\t'):
            if not row['device'].endswith('stream:all'):
                continue
            kernel = row['label'].split()[0]
            name = group(kernel, known)
            totals[name][0] += 1
            totals[name][1] += float(row['duration_us'])
            if args.rows:
                print('%s\t%s\t%s' % (kernel, row['duration_us'], name))
    for name, (count, us) in sorted(totals.items(), key=lambda item: -item[1][1]):
        print('%5d %9.0f  %s' % (count, us, name))
    print('%5d %9.0f  total' % (sum(c for c, _ in totals.values()), sum(u for _, u in totals.values())))


if __name__ == '__main__':
    main()
