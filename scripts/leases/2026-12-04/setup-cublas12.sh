#!/usr/bin/env bash
# After unpack.sh: CUDA 12's cuBLAS into /root/gpu-lab/cublas12, and which cuBLAS each folder holds.
set -uo pipefail
L=/root/gpu-lab
mkdir -p $L/cublas12
LD_LIBRARY_PATH=$L/bin $L/bin/zstd -q -d --long=27 -c $L/user/tmp/cublas12.tar.zst | tar -C $L/cublas12 -xf -
python3 - <<'PY'
import ctypes
for d in ['/root/gpu-lab/cublas12', '/root/gpu-lab/cuda12']:
    try:
        lt = ctypes.CDLL(d + '/libcublasLt.so.12'); lt.cublasLtGetVersion.restype = ctypes.c_size_t
        print(d, 'cublasLt version', lt.cublasLtGetVersion())
    except OSError as e:
        print(d, 'cannot load:', e)
PY
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv
