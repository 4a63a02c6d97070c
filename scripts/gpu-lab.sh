#!/usr/bin/env bash
# The GPU runs behind docs/results.md and docs/benchmarks.md, as made on the lent H200 (see ../shared/gpu/README.md
# for how TF-Java's GPU build gets there). Run from the repository root on that machine after the lab is
# unpacked; our own jars travel in .gpu-code/, dependency jars, BERT and SST-2 under /root/gpu-lab/user/.
#
#   scripts/gpu-lab.sh MODE   (results under $OUT)
#   MODE: smoke | quality-vblora | quality-lora | quality-fast | bench-qv | bench-all-linear | bench-more |
#         bench-merged | bench-cmdbuf | bench-knobs | xla-numerics | bench-async-qv | bench-async-all | bench-flags | bench-final | bench-ab |
#         ttr-ours | ttr-peft | ttr-levers | ttr-bench | ttr-diag | ttr-diag2 | peft-load | multi-train |
#         multi-bench-gpu | multi-bench-cpu | step-levers | lever-ab | fmha-dump
set -euo pipefail
LAB=${LAB:-/root/gpu-lab}   # another folder only to rehearse this script elsewhere
source $LAB/env.sh
# CUBLAS12=DIR: a folder holding CUDA 12's own libcublas.so.12 and libcublasLt.so.12, searched before the lab's links
# to the machine's CUDA 13 libraries (whose cuBLASLt refuses XLA's calls, lease D); the -cu12 levers use it per process.
CUBLAS12=${CUBLAS12:-$LAB/cublas12}
[[ -n "${LD_PREPEND:-}" ]] && export LD_LIBRARY_PATH=$LD_PREPEND${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
U=$LAB/user
CODE=${CODE:-.gpu-code}      # our jars; another folder to compare two builds in one lease
CP="$TF_GPU_CP:$(ls $U/.gpu-jars/*.jar | paste -sd:):$(ls "$PWD"/$CODE/*.jar | paste -sd:)"
MODEL=$U/root/.cache/vblora/models/bert-base-uncased
SST2=${SST2:-$U/work/shared/data/sst2/train.tsv}   # smaller files only to rehearse
COLA=${COLA:-$U/work/shared/data/cola/train.tsv}
OUT=${OUT:-/tmp/out}
DEVICE=${DEVICE:-gpu}            # cpu only to rehearse this script elsewhere
QUALITY_ARGS=${QUALITY_ARGS:-}   # e.g. "--max-steps 2" for a rehearsal
HALF=${HALF:-fp16}               # bf16 only to rehearse on a CPU
SHAPE=${SHAPE:---batch-size 32 --max-length 128}   # smaller only to rehearse
STEPS=${STEPS:-50}               # timed steps per measurement
SYNC=${SYNC:-1}                  # step-levers: steps per loss read (a timed step is a group of this many)
VBLORA="java -Xmx24g -cp $CP dev.finetune.vblora.training.cli.Main"
# What ./vblora sets for --device gpu (this script starts java itself); modes below may override per process.
export TF_SYNC_ON_FINISH=${TF_SYNC_ON_FINISH:-0}
export XLA_FLAGS=${XLA_FLAGS---xla_gpu_enable_triton_gemm=false}
# The paper's GLUE sizes; batch 32 x 128 as in the PEFT figures of issue 6.
BENCH_ARGS="--model $MODEL --num-vectors 90 --vector-length 256 --rank 4 --topk 2 --lora-rank 8
       $SHAPE --warmup 10 --device $DEVICE --json"
BENCH="$VBLORA bench $BENCH_ARGS"

# After each process of a multi-process mode: its median on stdout (and the host's time per queued step, when the
# bench reports one), and the mode's folder archived again, so that a call cut short still returns what ran.
#   saved DIR NAME
saved() { grep -h '"median"' $1/$2.json | head -1 | sed "s/^/$2 /" || true
          grep -h -A1 '"enqueue_ms"' $1/$2.json | grep -h '"median"' | head -1 | sed "s/^/$2 host enqueue /" || true
          tar -C /tmp -czf $OUT/$(basename $1).tgz $(basename $1); }

# Time to result: one whole `vblora train` (or eval) process, timed from its start to its exit, with XLA's
# persistent compilation cache in CACHE (a fresh folder: cold; the folder of an earlier run with the same shapes:
# warm), as the launcher sets it. Prints one line per run; the mode's folder is archived after each.
#   ttr DIR NAME CACHE vblora-arguments...
TTR_ARGS=${TTR_ARGS:-}   # e.g. "--max-steps 2" to rehearse
ttr() {
  local dir=$1 name=$2 cache=$3; shift 3
  mkdir -p $cache
  local t0=$(date +%s.%N)
  # As the launcher: no persistent cache for --fused-attention, whose cuDNN programs it cannot read back.
  local tf_xla_flags="--tf_xla_persistent_cache_directory=$cache --tf_xla_deterministic_cluster_names=true"
  local xla_flags=$XLA_FLAGS
  if [[ " $* " == *" --fused-attention "* ]]; then
    tf_xla_flags=""; xla_flags="$XLA_FLAGS --xla_gpu_enable_cudnn_fmha=true"
  fi
  TF_XLA_FLAGS="$tf_xla_flags" XLA_FLAGS="$xla_flags" \
    $VBLORA "$@" > $dir/$name.out 2> $dir/$name.err || echo "$name failed (see $name.err)"
  local t1=$(date +%s.%N)
  echo "$name wall_s $(awk "BEGIN{print $t1 - $t0}") $(grep -h '^time ' $dir/$name.err | tail -1)"
  tar -C /tmp -czf $OUT/$(basename $dir).tgz --exclude='*/merged' --exclude='*/merge-cpu' --exclude='*/checkpoints' --exclude='*/tensorboard' $(basename $dir)
}
TTR_PRECISION=${TTR_PRECISION:-}   # e.g. "--precision bf16 --fused-attention": ttr-ours's train runs with these
SST2_ARGS="--train $SST2 --valid-fraction 0.1 --no-header --label-column 0 --text-column 1"
COLA_ARGS="--train $COLA --valid-fraction 0.1 --no-header --label-column 1 --text-column 0"

case "$1" in
  ttr-ours)
    # Issue 12's runs: SST-2 10 epochs length 64 h=90 cold then warm; CoLA 5 epochs cold; SST-2 defaults cold;
    # eval of 1,821 SST-2 sentences with the first run's merged model, cold then warm.
    dir=/tmp/$1; mkdir -p $dir; rm -rf /tmp/xla-cache-*
    ttr $dir sst2-10ep-cold /tmp/xla-cache-sst2 train --model $MODEL $SST2_ARGS --epochs 10 --max-length 64 \
      --num-vectors 90 --seed 42 --device $DEVICE --out $dir/sst2-10ep --json $TTR_ARGS $TTR_PRECISION
    ttr $dir sst2-10ep-warm /tmp/xla-cache-sst2 train --model $MODEL $SST2_ARGS --epochs 10 --max-length 64 \
      --num-vectors 90 --seed 42 --device $DEVICE --out $dir/sst2-10ep-warm --json $TTR_ARGS $TTR_PRECISION
    ttr $dir cola-5ep-cold /tmp/xla-cache-cola train --model $MODEL $COLA_ARGS --epochs 5 --max-length 64 \
      --num-vectors 90 --seed 42 --device $DEVICE --out $dir/cola-5ep --json $TTR_ARGS $TTR_PRECISION
    ttr $dir sst2-defaults-cold /tmp/xla-cache-defaults train --model $MODEL $SST2_ARGS --device $DEVICE \
      --out $dir/sst2-defaults --json $TTR_ARGS $TTR_PRECISION
    # Issue 14: the GPU run's merged/ is its adapter merged by `vblora merge` on the CPU, bit for bit.
    CUDA_VISIBLE_DEVICES= $VBLORA merge --model $MODEL --adapter $dir/sst2-10ep/adapter --out $dir/merge-cpu \
      > $dir/merge-cpu.out 2> $dir/merge-cpu.err || echo "merge-cpu failed (see merge-cpu.err)"
    for m in sst2-10ep/merged merge-cpu; do
      (cd $dir/$m && find . -type f ! -name '.vblora*' | sort | xargs sha256sum) > $dir/$(echo $m | tr / -).sha256
    done
    cmp $dir/sst2-10ep-merged.sha256 $dir/merge-cpu.sha256 && echo "merged/ == CPU merge of adapter/: every file identical" \
      || echo "merged/ differs from the CPU merge of adapter/"
    head -1821 $SST2 > $dir/sst2-1821.tsv
    for warmth in cold warm; do
      ttr $dir eval-1821-$warmth /tmp/xla-cache-eval eval --model $dir/sst2-10ep/merged --data $dir/sst2-1821.tsv \
        --no-header --label-column 0 --text-column 1 --max-length 64 --device $DEVICE --json
    done
    ;;
  ttr-diag)
    # Where the train phase's time goes beyond the step median (CODE=a build instrumented for it, see
    # docs/benchmarks.md; main's build writes no step_times.tsv): a build that writes step_times.tsv (per step: wait
    # for the prefetched batch, session call, host gap between calls); SST-2 10 epochs cold, warm, and warm with
    # TensorFlow's private GPU threads.
    dir=/tmp/$1; mkdir -p $dir; rm -rf /tmp/xla-cache-*
    ttr $dir sst2-cold /tmp/xla-cache-sst2 train --model $MODEL $SST2_ARGS --epochs 10 --max-length 64 \
      --num-vectors 90 --seed 42 --device $DEVICE --out $dir/sst2-cold --json $TTR_ARGS
    ttr $dir sst2-warm /tmp/xla-cache-sst2 train --model $MODEL $SST2_ARGS --epochs 10 --max-length 64 \
      --num-vectors 90 --seed 42 --device $DEVICE --out $dir/sst2-warm --json $TTR_ARGS
    TF_GPU_THREAD_MODE=gpu_private ttr $dir sst2-warm-private /tmp/xla-cache-sst2 train --model $MODEL $SST2_ARGS \
      --epochs 10 --max-length 64 --num-vectors 90 --seed 42 --device $DEVICE --out $dir/sst2-warm-private --json $TTR_ARGS
    ;;
  ttr-diag2)
    # Grappler's share of the first step: its optimizers trimmed to the debug stripper (lean), or one pass of
    # them instead of two (one); each cold then warm (a different graph is a different compilation).
    dir=/tmp/$1; mkdir -p $dir
    for v in ${DIAG_VARIANTS:-lean one}; do
      for warmth in cold warm; do
        VBLORA_DIAG_REWRITES=$v ttr $dir sst2-$v-$warmth /tmp/xla-cache-$v train --model $MODEL $SST2_ARGS \
          --epochs 10 --max-length 64 --num-vectors 90 --seed 42 --device $DEVICE --out $dir/sst2-$v-$warmth --json $TTR_ARGS
        cp $dir/sst2-$v-$warmth/step_times.tsv $OUT/sst2-$v-$warmth-steps.tsv || true
      done
    done
    ;;
  peft-load)
    # Issue 15: PEFT loads an adapter vblora wrote without a warning (scripts/peft_load_check.py).
    # The control: the same adapter in the older layout (our metadata inside adapter_config.json) must warn.
    adapter=${ADAPTER:-/tmp/ttr-ours/sst2-10ep/adapter}
    python3 scripts/peft_load_check.py $adapter > $OUT/peft-load.txt 2>&1 \
      && echo "peft-load: no warning" || { echo "peft-load: FAILED"; tail -20 $OUT/peft-load.txt; }
    rm -rf /tmp/old-layout && cp -r $adapter /tmp/old-layout
    python3 -c "import json,sys; p='/tmp/old-layout/adapter_config.json'; c=json.load(open(p)); c['vblora_java']={'tool':'vblora'}; json.dump(c,open(p,'w'),indent=2)"
    python3 scripts/peft_load_check.py /tmp/old-layout --expect-config-warning > $OUT/peft-load-control.txt 2>&1 \
      && echo "peft-load control: the old layout warns, as expected" || { echo "peft-load control: no warning?"; tail -20 $OUT/peft-load-control.txt; }
    ;;
  ttr-peft)
    # The same SST-2 job with PEFT (scripts/peft_time_to_result.py), TF32 then bf16 autocast.
    dir=/tmp/$1; mkdir -p $dir
    for precision in ${PEFT_PRECISIONS:-fp32 bf16}; do
      t0=$(date +%s.%N)
      python3 scripts/peft_time_to_result.py --train $SST2 --label-column 0 --text-column 1 \
        --vocab $MODEL/assets/vocab.txt --epochs 10 --max-length 64 --num-vectors 90 --precision $precision \
        --out $dir/peft-sst2-$precision > $dir/peft-$precision.out 2> $dir/peft-$precision.err \
        || echo "peft $precision failed (see peft-$precision.err)"
      t1=$(date +%s.%N)
      echo "peft-$precision wall_s $(awk "BEGIN{print $t1 - $t0}") $(tail -1 $dir/peft-$precision.out)"
      rm -rf $dir/peft-sst2-$precision/merged
      tar -C /tmp -czf $OUT/$(basename $dir).tgz $(basename $dir)
    done
    ;;
  ttr-levers)
    # One lever at a time on the SST-2 10-epoch job, each cold: XLA's autotuning off, Triton GEMMs off (cuBLAS
    # only), the length buckets as before (16/32/64, with autotuning off); cola-autotuneN: the CoLA 5-epoch job
    # with XLA's autotuning at level N (4, the default, checks each candidate's results; 1 only times them).
    dir=/tmp/$1; mkdir -p $dir; rm -rf /tmp/xla-cache-lever-*
    for lever in ${LEVERS:-autotune0 triton-off}; do
      case $lever in
        autotune0) flags="--xla_gpu_autotune_level=0"; extra="" ;;
        triton-off) flags="--xla_gpu_enable_triton_gemm=false"; extra="" ;;
        doubling-autotune0) flags="--xla_gpu_autotune_level=0"; extra="--length-buckets doubling" ;;
        cola-autotune*) flags="--xla_gpu_autotune_level=${lever#cola-autotune}"; extra="" ;;   # CoLA 5 epochs
        # Not measured yet: XLA compiles a program's LLVM module in one piece unless told to split it.
        cola-parallel) flags="--xla_gpu_enable_llvm_module_compilation_parallelism=true"; extra="" ;;
        cola-parallel16) flags="--xla_gpu_enable_llvm_module_compilation_parallelism=true --xla_gpu_force_compilation_parallelism=16"; extra="" ;;
      esac
      job="$SST2_ARGS --epochs 10"; [[ $lever == cola-* ]] && job="$COLA_ARGS --epochs 5"
      XLA_FLAGS="$XLA_FLAGS $flags" ttr $dir $lever-cold /tmp/xla-cache-lever-$lever train --model $MODEL \
        $job --max-length 64 --num-vectors 90 --seed 42 --device $DEVICE $extra \
        --out $dir/$lever --json $TTR_ARGS
    done
    ;;
  ttr-bench)
    # The steady step (bench, q,v 32 x 128) on this build, fp32 and fp16, with BENCH_XLA_FLAGS added.
    dir=/tmp/$1; mkdir -p $dir
    for precision in fp32 $HALF; do
      XLA_FLAGS="$XLA_FLAGS ${BENCH_XLA_FLAGS:-}" $BENCH --targets bert-qv --method vblora --mode train \
        --steps $STEPS --xla on --precision $precision > $dir/bench-qv-$precision.json 2> $dir/bench-qv-$precision.err \
        || echo "bench $precision failed"
      saved $dir bench-qv-$precision
    done
    ;;
  step-levers)
    # Issue 16: one process per lever, VB-LoRA alone (LoRA r=8 where the row says so), 32 x 128, the launcher's
    # GPU flags plus the lever's. LEVERS picks a subset (names below); each line prints its median.
    dir=/tmp/$1; mkdir -p $dir
    for lever in ${LEVERS:-qv-fp32 qv-fp16 qv-bf16 qv-bf16-fmha qv-bf16-softmax qv-bf16-layernorm \
        qv-bf16-nocmdbuf all-fp32 all-bf16 qv-lora-bf16 all-lora-bf16 qv-bf16-profile}; do
      targets=bert-qv; method=vblora; precision=fp32; flags=""; extra=""; xla_flags=$XLA_FLAGS
      case $lever in
        *-fp16*) precision=fp16 ;;
        *-bf16*) precision=bf16 ;;
      esac
      case $lever in all-*) targets=all-linear ;; esac
      case $lever in *-lora-*) method=lora ;; esac
      # Levers combine: qv-bf16-fmha-softmax-r2 is bf16 with both flags (a trailing -rN only names a repeat).
      [[ $lever == *-fmha* ]] && flags="$flags --xla_gpu_enable_cudnn_fmha=true" && extra="$extra --fused-attention"
      [[ $lever == *-softmax* ]] && flags="$flags --xla_gpu_enable_triton_softmax_fusion=true"
      [[ $lever == *-layernorm* ]] && flags="$flags --xla_gpu_enable_cudnn_layer_norm=true"
      # Command buffers at XLA's default are the launcher's since lease M: -cmdbuf names such rows of leases before
      # it (the same flags as no lever now), -nocmdbuf turns them off, -cmdbufc adds concurrent regions.
      [[ $lever == *-nocmdbuf* ]] && flags="$flags --xla_gpu_enable_command_buffer="
      [[ $lever == *-cmdbufc* ]] && flags="$flags --xla_gpu_graph_enable_concurrent_region=true"
      [[ $lever == *-triton* ]] && xla_flags=""      # Triton GEMMs at XLA's default
      # -cu12: CUDA 12's cuBLAS instead of the lab's CUDA 13 one; -cublaslt: XLA's products through cuBLASLt (bias and
      # GELU fused into the product's epilogue where XLA's GEMM rewriter matches them).
      ld=${LD_LIBRARY_PATH:-}
      [[ $lever == *-cu12* ]] && ld=$CUBLAS12${ld:+:$ld}
      [[ $lever == *-cublaslt* ]] && flags="$flags --xla_gpu_enable_cublaslt=true"
      # -clustered, -whole: the staged step auto-clustered (_XlaCompile/_XlaRun, builds before 2026-12-04 21:00) or as
      # one XlaLaunch program that updates its variables in place (--step-launch; builds without the option: neither).
      [[ $lever == *-clustered* ]] && extra="$extra --step-launch clustered"
      [[ $lever == *-whole* ]] && extra="$extra --step-launch whole"
      # -lowrank: the adapter applied as x W + s (x A) B beside the frozen product instead of the GPU's merged
      # x (W + s A B), which adds one weight-gradient GEMM per kernel to the backward pass (UpdateForm).
      [[ $lever == *-lowrank* ]] && extra="$extra --update-form low-rank"
      # -factored: the merged forward pass with the adapter's gradients through A and B (four thin products) instead
      # of the weight-gradient product x^T dy (FactoredGradients).
      [[ $lever == *-factored* ]] && extra="$extra --update-form merged-factored"
      # -nodotmerger: XLA's dot-merger pass off. It merges the products that share an input (q, k, v and the adapter's
      # factor columns) into one by concatenating their weights every step: 212 us of a q,v fp32 step on lease AG's
      # H100, at a third of the memory's bandwidth, plus slices copied out of the merged products.
      # Lease AH: off costs 0.60 ms on q,v fp32 and 0.42 ms on all-linear (the separate products run slower), not kept.
      [[ $lever == *-nodotmerger* ]] && flags="$flags --xla_disable_hlo_passes=dot-merger"
      [[ $lever == *-profile* ]] && extra="$extra --profile --profile-out $dir/$lever.tsv"
      # -hlo: XLA's optimized HLO of every module the step compiles, as text with each instruction's TF op in its
      # metadata (what each fusion of a trace computes); only the after_optimizations files are kept.
      [[ $lever == *-hlo* ]] && flags="$flags --xla_dump_to=$dir/$lever-hlo --xla_dump_hlo_as_text"
      LD_LIBRARY_PATH=$ld XLA_FLAGS="$(echo $xla_flags $flags)" $BENCH --targets $targets --method $method --mode train --steps $STEPS \
        --sync-every $SYNC --xla on --precision $precision $extra > $dir/$lever.json 2> $dir/$lever.err || echo "$lever failed (see $lever.err)"
      [[ -d $dir/$lever-hlo ]] && find $dir/$lever-hlo -type f ! -name '*after_optimizations.txt' -delete
      saved $dir $lever
    done
    ;;
  lever-ab)
    # An A/B (or A/B/C) of lever suffixes, one process per cell, alternating within each set: for each step of SETS
    # (e.g. "qv-fp32 all-fp32"), one step-levers process per suffix of VARIANTS (e.g. "clustered whole"; a suffix
    # step-levers does not know, such as "merged", adds no option), named SET-VARIANT plus ROUND (e.g. -r2).
    # PROFILE_VARIANTS adds one traced step of each set with each of those suffixes afterwards (VARIANTS empty: only
    # those).
    for set in ${SETS:?SETS names the steps}; do
      for variant in ${VARIANTS:-}; do
        LEVERS="$set-$variant${ROUND:-}" "$0" step-levers 2>&1 | grep -v '^tar: Removing'
      done
    done
    if [[ -n "${PROFILE_VARIANTS:-}" ]]; then
      LEVERS="$(for s in $SETS; do for v in $PROFILE_VARIANTS; do printf '%s-%s-profile ' $s $v; done; done)" \
        "$0" step-levers 2>&1 | grep -v '^tar: Removing'
    fi
    ;;
  fmha-dump)
    # Issue 16: why XLA's cuDNN fused-attention rewriter matched nothing in lease I. One bf16 q,v bench with the
    # rewriter on, its log at VLOG 2 and the HLO before and after that pass dumped (archived as fmha-dump.tgz).
    dir=/tmp/$1; mkdir -p $dir/hlo
    TF_CPP_MIN_LOG_LEVEL=0 TF_CPP_VMODULE=cudnn_fused_mha_rewriter=2,cudnn_fused_mha_transpose_fusion=2 \
      XLA_FLAGS="$XLA_FLAGS --xla_gpu_enable_cudnn_fmha=true --xla_dump_to=$dir/hlo \
      --xla_dump_hlo_pass_re=cudnn-fused-multi-headed-attention-rewriter|cudnn-fused-mha.*" \
      $BENCH --targets bert-qv --method vblora --mode train --steps 20 --sync-every 25 --xla on --precision bf16 \
      --fused-attention > $dir/fmha.json 2> $dir/fmha.err || echo "fmha-dump failed (see fmha.err)"
    grep -h '"median"' $dir/fmha.json | head -1 || true
    grep -c "custom_call_target=\"__cudnn\$fmha" $dir/hlo/*after_optimizations.txt | sed 's|.*/||' || true
    # What a correct fusion needs (docs/benchmarks.md, issue 16): the forward target with Bias, mask_type NO_MASK
    # (a causal mask would mean the rewriter replaced ours), and a bf16 bias operand in forward and backward calls.
    grep -ho 'custom_call_target="__cudnn\$fmha[A-Za-z]*"' $dir/hlo/*after_optimizations.txt | sort | uniq -c || true
    grep -ho '"mask_type":"[A-Z_]*"' $dir/hlo/*after_optimizations.txt | sort | uniq -c || true
    calls=$(grep -h 'custom_call_target="__cudnn\$fmha' $dir/hlo/*after_optimizations.txt || true)
    forward=$(echo "$calls" | grep -v 'Backward"' | head -1 || true)
    backward=$(echo "$calls" | grep 'Backward"' | head -1 || true)
    for call in "$forward" "$backward"; do
      echo "$call" | sed -E 's/custom-call\(([^)]*)\).*/\1/; s/^.*= //' | cut -c1-400
    done
    grep -h -i "cudnn version\|loaded cudnn" $dir/fmha.err | head -2 || true
    # The rewriter's log lines only (at VLOG 2 it also prints whole modules) and no LLVM IR or PTX: lease O's
    # archive with them was too large to come back.
    grep -h "cudnn_fused_mha" $dir/fmha.err > $dir/fmha-log.txt || true
    rm -f $dir/hlo/*.ll $dir/hlo/*.ptx
    tar -C /tmp -czf $OUT/fmha-dump.tgz --exclude=fmha.err $1
    ;;
  smoke)
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || true
    $VBLORA bench --model $MODEL --method none --mode forward --batch-size 32 --max-length 128 --steps 20 \
      --device $DEVICE --xla on
    ;;
  quality-vblora|quality-lora)
    # Exact float32 (TF32 off) so the merged model can be compared with the adapted one at 1e-4.
    export NVIDIA_TF32_OVERRIDE=0
    method=${1#quality-}
    METHODS=$method VBLORA="$VBLORA" MODEL=$MODEL scripts/quality-sst2.sh $SST2 /tmp/runs --device $DEVICE --xla off $QUALITY_ARGS
    run=/tmp/runs/sst2-$method
    # A fresh JVM loads the merged SavedModel and scores the held-out split against the adapted model's outputs.
    $VBLORA eval --model $run/merged --data $run/valid_split.tsv --max-length 64 --device $DEVICE --xla off \
      --compare-predictions $run/valid_predictions.tsv --json > $run/eval_merged.json
    tar -C /tmp/runs -czf $OUT/sst2-$method.tgz --exclude='*/merged' --exclude='*/checkpoints' sst2-$method
    ;;
  quality-fast)
    # The GPU's fast paths on the same SST-2 run: XLA on with TF32, then fp16 on top (default update form).
    for precision in fp32 $HALF; do
      METHODS=vblora VBLORA="$VBLORA" MODEL=$MODEL scripts/quality-sst2.sh $SST2 /tmp/runs-$precision \
        --device $DEVICE --xla on --precision $precision $QUALITY_ARGS
      tar -C /tmp/runs-$precision -czf $OUT/sst2-vblora-xla-$precision.tgz --exclude='*/merged' \
        --exclude='*/checkpoints' sst2-vblora
    done
    ;;
  bench-qv)
    # Issue 6's q,v figures: every measurement interleaved (ratios from one run), the default update form for
    # the GPU (merged), one traced step with its kernels; then the low-rank form and fp16 beside it.
    $BENCH --targets bert-qv --method vblora,lora --mode all --steps $STEPS --xla on --profile \
      --profile-out $OUT/profile-qv.tsv > $OUT/bench-qv-xla.json
    $BENCH --targets bert-qv --method vblora,lora --mode train --steps $STEPS --xla on --update-form low-rank \
      > $OUT/bench-qv-lowrank.json
    $BENCH --targets bert-qv --method vblora,lora --mode train --steps $STEPS --xla on --precision $HALF \
      > $OUT/bench-qv-fp16.json
    ;;
  bench-all-linear)
    $BENCH --targets all-linear --method vblora,lora --mode train --steps $STEPS --xla on --profile \
      --profile-out $OUT/profile-all-linear.tsv > $OUT/bench-all-linear-xla.json
    $BENCH --targets all-linear --method vblora,lora --mode train --steps $STEPS --xla on --update-form low-rank \
      > $OUT/bench-all-linear-lowrank.json
    $BENCH --targets all-linear --method vblora,lora --mode train --steps $STEPS --xla on --precision $HALF \
      > $OUT/bench-all-linear-fp16.json
    ;;
  bench-more)
    # Peak device memory needs one adapter per process; the no-XLA step shows what XLA's fusion buys.
    $BENCH --targets bert-qv --method vblora --mode train --steps $STEPS --xla on > $OUT/bench-mem-vblora.json
    $BENCH --targets bert-qv --method lora --mode train --steps $STEPS --xla on > $OUT/bench-mem-lora.json
    $BENCH --targets bert-qv --method vblora,lora --mode train --steps $STEPS --xla off > $OUT/bench-qv-noxla.json
    ;;
  bench-merged)
    # Merged-model inference next to the untouched model: the same graph, so only a long interleaved run
    # tells their medians apart from this machine's noise.
    $BENCH --targets bert-qv --method vblora --mode merged --steps 300 > $OUT/bench-merged.json
    ;;
  bench-cmdbuf)
    # XLA's command buffers (CUDA graphs), down to single kernels, against XLA's defaults; one traced step each.
    for flags in "--xla_gpu_graph_min_graph_size=1 --xla_gpu_enable_command_buffer=FUSION,CUBLAS,CUBLASLT,CUSTOM_CALL" \
                 "--xla_gpu_enable_command_buffer="; do
      name=cmdbuf$([[ "$flags" == *min_graph* ]] && echo -on || echo -off)
      XLA_FLAGS="$flags" $BENCH --targets bert-qv --method vblora --mode train --steps $STEPS --xla on --profile \
        > $OUT/$name.json 2> $OUT/$name.err || echo "$name failed (see $name.err)"
    done
    ;;
  bench-knobs)
    # Runtime switches outside our code, one process each: XLA's CUDA-graph command buffers and TensorFlow's
    # private GPU launch threads. A flag this XLA does not know aborts its process, so each may fail alone.
    for knob in "XLA_FLAGS=--xla_gpu_enable_command_buffer=FUSION,CUBLAS,CUBLASLT,CUSTOM_CALL" \
                "TF_GPU_THREAD_MODE=gpu_private"; do
      name=$(echo "${knob%%=*}" | tr 'A-Z' 'a-z')
      env "$knob" $BENCH --targets bert-qv --method vblora --mode train --steps $STEPS --xla on \
        > $OUT/knob-$name.json 2> $OUT/knob-$name.err || echo "knob $knob failed (see knob-$name.err)"
    done
    ;;
  bench-async-qv|bench-async-all)
    # A step that waits for the GPU (TF_SYNC_ON_FINISH=1, loss read every step: what every figure above did)
    # against steps queued without waiting (TF_SYNC_ON_FINISH=0, the loss read every 10 steps), with XLA's
    # command buffers at their default and off; one process each, results in one archive.
    dir=/tmp/$1; mkdir -p $dir
    if [[ $1 == bench-async-qv ]]; then targets=bert-qv; precisions="fp32 $HALF"; else targets=all-linear; precisions=fp32; fi
    for precision in $precisions; do
      for sync in 1 10; do
        for cmdbuf in default off; do
          name=$targets-$precision-sync$sync-cmdbuf-$cmdbuf
          flags=$([[ $cmdbuf == off ]] && echo "--xla_gpu_enable_command_buffer=" || true)
          steps=$([[ $sync == 1 ]] && echo $STEPS || echo $(( (STEPS + 9) / 10 )))
          env TF_SYNC_ON_FINISH=$([[ $sync == 1 ]] && echo 1 || echo 0) XLA_FLAGS="$flags" \
            $BENCH --targets $targets --method vblora,lora --mode train --steps $steps --xla on \
            --precision $precision --sync-every $sync > $dir/$name.json 2> $dir/$name.err \
            || echo "$name failed (see $name.err)"
          saved $dir $name
        done
      done
    done
    ;;
  bench-flags)
    # XLA GPU switches on top of command buffers off, one process each (a flag this XLA does not know aborts
    # its process), q,v VB-LoRA fp32 then all-linear.
    dir=/tmp/$1; mkdir -p $dir
    for t in bert-qv all-linear; do
      for extra in "" "--xla_gpu_enable_triton_gemm=false" "--xla_gpu_enable_cublaslt=true"; do
        name=$t$(echo "$extra" | tr -c 'a-z0-9\n' '_')
        XLA_FLAGS="--xla_gpu_enable_command_buffer= $extra" $BENCH --targets $t --method vblora --mode train \
          --steps $STEPS --xla on > $dir/$name.json 2> $dir/$name.err || echo "$name failed (see $name.err)"
        saved $dir $name
      done
    done
    ;;
  bench-final)
    # Issue 6's figures in one lease, with the launcher's GPU defaults: q,v all measurements interleaved plus a
    # traced step; fp16; all-linear (fp32, fp16); peak memory one adapter per process; merged inference.
    dir=/tmp/$1; mkdir -p $dir
    run() { name=$1; shift; $BENCH "$@" > $dir/$name.json 2> $dir/$name.err || echo "$name failed (see $name.err)"
            saved $dir $name; }
    run qv-all --targets bert-qv --method vblora,lora --mode all --steps $STEPS --xla on --profile --profile-out $dir/profile-qv.tsv
    run qv-$HALF --targets bert-qv --method vblora,lora --mode train --steps $STEPS --xla on --precision $HALF
    run all-linear --targets all-linear --method vblora,lora --mode train --steps $STEPS --xla on --profile --profile-out $dir/profile-all-linear.tsv
    run mem-vblora --targets bert-qv --method vblora --mode train --steps $STEPS --xla on
    run mem-lora --targets bert-qv --method lora --mode train --steps $STEPS --xla on
    run all-linear-$HALF --targets all-linear --method vblora,lora --mode train --steps $STEPS --xla on --precision $HALF
    ;;
  bench-ab)
    # The build in $CODE against the one in $OLD_CODE, one process each, alternating, VB-LoRA alone (q,v; all-linear);
    # ROUNDS="1 2" repeats, PRECISION=bf16 (or fp16) for a reduced-precision path, SYNC=25 for staged steps read every
    # 25th step (issue 16's figures).
    dir=/tmp/$1; mkdir -p $dir
    for round in ${ROUNDS:-1}; do
      for t in bert-qv all-linear; do
        for code in ${OLD_CODE:-.gpu-code-old} $CODE; do
          name=$t-${PRECISION:-fp32}-$(basename $code)-$round
          java -Xmx24g -cp "$TF_GPU_CP:$(ls $U/.gpu-jars/*.jar | paste -sd:):$(ls "$PWD"/$code/*.jar | paste -sd:)" \
            dev.finetune.vblora.training.cli.Main bench $BENCH_ARGS --targets $t --method vblora --mode train \
            --steps $STEPS --sync-every $SYNC --xla on --precision ${PRECISION:-fp32} > $dir/$name.json 2> $dir/$name.err \
            || echo "$name failed (see $name.err)"
          saved $dir $name
        done
      done
    done
    ;;
  xla-numerics)
    $BENCH --targets bert-qv --method vblora --compare-xla --steps 100 > $OUT/xla-numerics.json
    ;;
  multi-train)
    # Issue 17: three real adapters of one base model and one target set (bert-qv, h=90), each trained on its own
    # task with its head: SST-2, CoLA and a negation task of our own (label 1 when an SST-2 sentence holds a
    # negation word). Only the small adapter folders and the run summaries come back; the lead merges them and
    # checks the multi-adapter model on a CPU (TrainedAdaptersInOneModelTest).
    dir=/tmp/multi-train; mkdir -p $dir/adapters
    head -20000 $SST2 | awk -F'\t' 'BEGIN{OFS="\t"} {s=" " tolower($2) " ";
      print (s ~ / (not|no|never|nothing|none|nobody|cannot|n.t) / ? 1 : 0), $2}' > $dir/negation.tsv
    cut -f1 $dir/negation.tsv | sort | uniq -c
    NEG_ARGS="--train $dir/negation.tsv --valid-fraction 0.1 --no-header --label-column 0 --text-column 1"
    for task in sst2 cola negation; do
      case $task in sst2) args=$SST2_ARGS ;; cola) args=$COLA_ARGS ;; negation) args=$NEG_ARGS ;; esac
      ttr $dir $task /tmp/xla-cache-multi train --model $MODEL $args --epochs 3 --max-length 64 --num-vectors 90 \
        --seed 42 --device $DEVICE --out $dir/$task --json $TTR_ARGS
      cp -r $dir/$task/adapter $dir/adapters/$task
      grep -h '"best_metrics"\|accuracy' $dir/$task/metrics.json | head -3 | sed "s/^/$task /"
    done
    tar -C $dir -czf $OUT/multi-adapters.tgz adapters
    ;;
  multi-bench-gpu|multi-bench-cpu)
    # Issue 17: 100 random BERT-base q,v adapters in one model: size, and batch 32 x 128 with mixed adapters
    # against the untouched model and one merged model (SavedModelBundle sessions, no XLA, as TF Serving runs).
    # PEFT's default bank (h 256) and our GLUE runs' (h 90).
    dir=/tmp/$1; mkdir -p $dir
    [ $1 = multi-bench-cpu ] && export CUDA_VISIBLE_DEVICES=
    runs=${MULTI_RUNS:-20}
    for h in ${MULTI_H:-256 90}; do
      java -Xmx24g -cp $CP dev.finetune.vblora.training.bench.MultiAdapterBenchmark $MODEL $dir/h$h ${MULTI_COUNT:-100} \
        ${MULTI_SHAPE:-32 128} $runs false $h 2>&1 | grep -v '^WARNING\|^I0000\|^20[0-9][0-9]-' | tee $dir/h$h.txt
      rm -rf $dir/h$h/adapters $dir/h$h/merged $dir/h$h/multi
    done
    tar -C /tmp -czf $OUT/$1.tgz $1
    ;;
  *) echo "usage: $0 MODE (see the header of this script)" >&2; exit 2 ;;
esac
