# shellcheck shell=bash
# Sourced (from the repository root on the lab machine) by this day's scripts that start java themselves: the lab's
# environment, U (the staged user files), M (BERT-base) and `lab_cp DIR`, the classpath of the build whose jars are in
# DIR (e.g. .gpu-code).
source /root/gpu-lab/env.sh
U=/root/gpu-lab/user
M=$U/root/.cache/vblora/models/bert-base-uncased
lab_cp() { echo "$TF_GPU_CP:$(ls $U/.gpu-jars/*.jar | paste -sd:):$(ls $PWD/$1/*.jar | paste -sd:)"; }

# cmdbuf_count DIR NAME CLASSPATH BENCH-OPTIONS...: one fp32 VB-LoRA bench (32 x 128, loss read every 25th step) with
# XLA's command-buffer log on; prints its median, how often XLA re-recorded ("Update") and ran ("Execute") a command
# buffer, and the re-recordings by size and by executions since the last one.
cmdbuf_count() {
  local dir=$1 name=$2 cp=$3; shift 3
  TF_CPP_MIN_LOG_LEVEL=0 TF_CPP_VMODULE=command_buffer_thunk=3 TF_SYNC_ON_FINISH=0 \
    XLA_FLAGS="--xla_gpu_enable_triton_gemm=false" \
    java -Xmx24g -cp $cp dev.finetune.vblora.training.cli.Main bench --model $M --num-vectors 90 --vector-length 256 \
    --rank 4 --topk 2 --batch-size 32 --max-length 128 --warmup 10 --device gpu --json --method vblora --steps 20 \
    --sync-every 25 --xla on --precision fp32 "$@" > $dir/$name.json 2> $dir/$name.err
  echo "$name $(grep -h '"median"' $dir/$name.json | head -1) updates $(grep -c 'Update command buffer' $dir/$name.err)" \
    "executes $(grep -c 'Execute command buffer' $dir/$name.err)"
  grep -h 'Update command buffer' $dir/$name.err | sed 's/.*cmd sequence//' | sort | uniq -c | head -5
}
