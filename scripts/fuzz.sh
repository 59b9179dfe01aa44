#!/usr/bin/env bash
# Fuzzing (issue 17): builds the libFuzzer targets of fuzz/ (clang, ASan + UBSan) into
# ${BUILD_DIR:-build-fuzz}, writes their seed corpora with make_corpus, then runs each target on its
# corpus, one after the other:
#   FUZZ_SECONDS=6   each target for that long (the default: CI, 8 targets, under a minute in all)
#   FUZZ_RUNS=N      each target for N executions instead, e.g. FUZZ_RUNS=1000000
#   FUZZ_TARGETS=".." only these targets (names as in fuzz/CMakeLists.txt)
# A crash, leak, undefined behaviour, timeout or out-of-memory fails the script; the input that
# did it is left in BUILD_DIR/crashes/<target>/. Needs clang with libFuzzer (Debian: clang).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-fuzz}
# -g puts the working directory into the objects, and ccache then keys on it by default: a fresh
# clone (CI) would miss the cache for every file. Not here: the paths in the debug info may name
# another checkout, which nothing relies on.
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
export CCACHE_SLOPPINESS=${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
if ! command -v "${FUZZ_CXX:-clang++}" >/dev/null; then
    echo "fuzz.sh: needs clang with libFuzzer (Debian 12: apt-get install clang libclang-rt-14-dev)" >&2
    exit 2
fi
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ] || [ ! -f "$BUILD_DIR/build.ninja" ]; then
    CC=${FUZZ_CC:-clang} CXX=${FUZZ_CXX:-clang++} cmake -S . -B "$BUILD_DIR" -G Ninja \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMODALLENS_FUZZ=ON -DMODALLENS_BUILD_GUI=OFF \
        -DMODALLENS_BUILD_TESTS=OFF -DMODALLENS_CUDA=OFF
fi
cmake --build "$BUILD_DIR" --target fuzz_all -j "${JOBS:-$(nproc)}"

corpus=$BUILD_DIR/corpus
"$BUILD_DIR/fuzz/make_corpus" "$corpus"

# The largest input each target is given: a bit above its biggest seed.
declare -A maxLen=([fuzz_safetensors]=4096 [fuzz_config]=4096 [fuzz_clip_tokenizer]=2048
    [fuzz_gpt2_tokenizer]=2048 [fuzz_llama_tokenizer]=1024 [fuzz_image]=16384 [fuzz_video]=16384
    [fuzz_library]=65536)
targets=${FUZZ_TARGETS:-fuzz_safetensors fuzz_config fuzz_clip_tokenizer fuzz_gpt2_tokenizer fuzz_llama_tokenizer
    fuzz_image fuzz_video fuzz_library}
if [ -n "${FUZZ_RUNS:-}" ]; then
    limit=(-runs="$FUZZ_RUNS")
else
    limit=(-max_total_time="${FUZZ_SECONDS:-6}")
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/fuzz/lsan.supp:print_suppressions=0}

failed=()
summary=()
for target in $targets; do
    binary=$BUILD_DIR/fuzz/$target
    if [ ! -x "$binary" ]; then # media or the library switched off in this build
        summary+=("$target: not built")
        continue
    fi
    mkdir -p "$BUILD_DIR/crashes/$target" "$corpus/$target"
    log=$BUILD_DIR/crashes/$target.log
    echo "== $target"
    start=$(date +%s%N)
    status=0
    "$binary" "${limit[@]}" -max_len="${maxLen[$target]:-4096}" -timeout=25 -rss_limit_mb=4096 \
        -print_final_stats=1 -artifact_prefix="$BUILD_DIR/crashes/$target/" "$corpus/$target" >"$log" 2>&1 \
        || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    line=$(awk -v t="$target" -v n="${runs:-0}" -v ns=$(($(date +%s%N) - start)) \
        'BEGIN { s = ns / 1e9; printf "%s: %d executions in %.0f s (%.0f exec/s)", t, n, s, n / s }')
    if [ "$status" -ne 0 ]; then
        tail -n 40 "$log"
        failed+=("$target")
        line+=" FAILED (exit $status, log $log)"
    fi
    echo "$line"
    summary+=("$line")
done
printf '%s\n' "" "fuzzing summary:" "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz.sh: ${failed[*]} failed; inputs in $BUILD_DIR/crashes/" >&2
    exit 1
fi
