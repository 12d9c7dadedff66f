#!/bin/sh
# Unpacks Debian's OpenBLAS (libopenblas0-pthread) into a private folder without installing it, and prints the folder
# that holds its libblas.so.3. Debian's python3-torch calls whatever libblas.so.3 the system alternative names; on a system
# with only the reference BLAS (libblas3) its fp32 matrix products run at a few GFLOP/s, so the PyTorch side of
# `train-speed` is also run with OpenBLAS put first on its LD_LIBRARY_PATH:
#   B=tests/Microsoft.ML.PromptLearning.Benchmarks/bin/Release/net10.0/Microsoft.ML.PromptLearning.Benchmarks
#   $B train-speed --python-lib "$(tools/peer-blas/openblas.sh)"
# The system's BLAS alternative is left as it is. Needs apt-get access to a Debian mirror (bookworm: 0.3.21).
set -eu
dest="${1:-${XDG_CACHE_HOME:-$HOME/.cache}/prompt-learning/openblas}"
lib="$dest/usr/lib/x86_64-linux-gnu/openblas-pthread"
if [ ! -f "$lib/libblas.so.3" ]; then
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    (cd "$work" && apt-get download libopenblas0-pthread >/dev/null 2>&1) || {
        echo "apt-get download libopenblas0-pthread failed: is a Debian mirror reachable (apt-get update)?" >&2; exit 1; }
    mkdir -p "$dest"
    dpkg -x "$work"/libopenblas0-pthread_*.deb "$dest"
fi
[ -f "$lib/libblas.so.3" ] || { echo "no libblas.so.3 under $lib after unpacking" >&2; exit 1; }
echo "$lib"
