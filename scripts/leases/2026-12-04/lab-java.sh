# shellcheck shell=bash
# Sourced (from the repository root on the lab machine) by this day's scripts that start java themselves: the lab's
# environment, U (the staged user files), M (BERT-base) and `lab_cp DIR`, the classpath of the build whose jars are in
# DIR (e.g. .gpu-code).
source /root/gpu-lab/env.sh
U=/root/gpu-lab/user
M=$U/root/.cache/vblora/models/bert-base-uncased
lab_cp() { echo "$TF_GPU_CP:$(ls $U/.gpu-jars/*.jar | paste -sd:):$(ls $PWD/$1/*.jar | paste -sd:)"; }
