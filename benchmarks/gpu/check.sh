#!/usr/bin/env bash
# The book's GPU check on a CUDA machine that has PyTorch but no package index, from the
# folder that carry.py filled where pip reaches one (copy or carry it along):
#
#   bash benchmarks/gpu/check.sh [CARRIED] [--train] [bench_book.py's options and pages]
#
# installs the carried wheels into a temporary folder, takes one training step of every
# configuration on the GPU and a few of one run of each kind replayed as a CUDA graph
# against the same run trained eagerly, then runs every page under nbval with
# GAPKIT_DEVICE=cuda GAPKIT_PROFILE=full and prints each page's seconds and the total
# (budget: 10 minutes on one modern GPU). Whether a run trained twice on the GPU gives the
# same numbers, and a replayed run its eager twin's to the last bit, is reported, not
# required. With --train it first times 100-step runs of the book's CLIP (bench_train.py:
# one alone, one per core side by side; under a minute on 2 CPU cores), eagerly and
# profiled, then replayed as CUDA graphs; a failure there is reported and the pages run.
# GAPKIT_CUDA_GRAPHS=0 trains eagerly throughout, the tests of the graphs skipped.
# CARRIED defaults to _build/gpu; GAPKIT_DEVICE and GAPKIT_PROFILE, when set, replace
# cuda and full (a rehearsal on a CPU). With $OUT set, the log is also written to
# $OUT/gpu-check.log.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
carried=$root/_build/gpu
if [[ $# -gt 0 && $1 != -* ]]; then carried=$1; shift; fi
timed=no
options=()  # bench_book.py's, --train taken out wherever it stands
for option in "$@"; do
    if [[ $option == --train ]]; then timed=yes; else options+=("$option"); fi
done
[[ -d $carried/wheels ]] || { echo "no $carried/wheels: run benchmarks/gpu/carry.py first"; exit 1; }
carried=$(cd "$carried" && pwd)
cd "$root"

site=$(mktemp -d)
trap 'rm -rf "$site"' EXIT
python3 -m pip install --quiet --no-index --no-deps --no-compile --no-cache-dir \
    --target "$site" "$carried"/wheels/*.whl
export PYTHONPATH="$PWD:$site${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
export GAPKIT_DEVICE=${GAPKIT_DEVICE:-cuda} GAPKIT_PROFILE=${GAPKIT_PROFILE:-full}
if [[ -d $carried/paper-features ]]; then
    export GAPKIT_DATA_DIR="$carried/paper-features" GAPKIT_REQUIRE_DATA=1
fi

log=${OUT:+$OUT/gpu-check.log}
profiles=(python3 -m pytest -q -p no:cacheprovider tests/test_profiles.py tests/test_graphed.py)
{
    command -v nvidia-smi > /dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total \
        --format=csv,noheader
    # every training configuration of the full profile takes one step on the GPU first, and
    # one run of each kind is replayed as a CUDA graph with the numbers of its eager twin
    "${profiles[@]}" -k "cuda and not deterministic"
    # a run trained twice, and one replayed against its eager twin: the same numbers?
    # (reported; the check goes on either way)
    "${profiles[@]}" -k "cuda and deterministic" \
        || echo "deterministic: did not pass (above)"
    if [[ $timed == yes ]]; then  # the eager step, profiled, then replayed as a CUDA graph
        GAPKIT_CUDA_GRAPHS=0 python3 benchmarks/bench_train.py --steps 100 --profile \
            || echo "bench_train: failed (above)"
        if [[ ${GAPKIT_CUDA_GRAPHS:-1} != 0 ]]; then
            python3 benchmarks/bench_train.py --steps 100 || echo "bench_train: failed (above)"
        fi
    fi
    python3 benchmarks/bench_book.py ${options[@]+"${options[@]}"}
} 2>&1 | tee ${log:+"$log"}
