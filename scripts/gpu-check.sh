#!/usr/bin/env bash
# The GPU check (issue 18), run on a lent NVIDIA machine: LibTorch from python3's torch (2.x), CUDA,
# CMake, ninja; no Qt, OpenCV, FFmpeg, SQLite or FAISS; no network. Prepare here with
# scripts/gpu-deps.sh (it fills the git-ignored .gpu/), then there, with the device tool:
#   run(command="scripts/gpu-check.sh", carry=[".gpu"], timeout_s=600)
# or in two calls on one warm machine when the build is slow: "scripts/gpu-check.sh build", then
# "scripts/gpu-check.sh test bench".
#
# Stages (default: all three, in order):
#   build  configures ${BUILD_DIR:-build-gpu-box} with MODALLENS_CUDA=ON against python3's torch and
#          Debian's nlohmann-json, PCRE2 and zlib unpacked into .gpu/root (never into /), and builds
#          the core, modallens-cli and the gpu tests (Qt-free: tests/gpu/)
#   test   ctest -L gpu against .gpu/fixtures; a skipped gpu test is a failure here
#   bench  modallens-cli's benches on the GPU (CLIP ViT-B/32 fp16 batch 256, the DDPM step at batch 1
#          and 64, LLaMA-7B's shape fp16 with 608 + 128 tokens) and transformers' side of each
#          (scripts/gpu_hf_bench.py), nvidia-smi sampled all along
# Writes $OUT/gpu-check.json (every figure, the goals, pass/fail) and the logs beside it. It fails
# loudly when CUDA is not really used: the policy must pick cuda + fp16 untold, every bench must say
# device cuda, and the GPU's memory must rise while modallens-cli runs.
# GPU_CHECK_ALLOW_CPU=1: a dry run on a machine without a GPU (the script's own check): CPU, small
# sizes, no CUDA asserted; with GPU_CHECK_TORCH_PREFIX=/usr/lib/x86_64-linux-gnu/cmake on Debian. GPU_CHECK_WERROR=ON builds with warnings as errors (off by default:
# a newer LibTorch's deprecations must not stop the check).
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
OUT=${OUT:-$REPO/${BUILD_DIR:-build-gpu-box}/out}
BUILD_DIR=${BUILD_DIR:-build-gpu-box}
DRY=${GPU_CHECK_ALLOW_CPU:-}
STAGES=${*:-build test bench}
mkdir -p "$OUT"
CLI=$BUILD_DIR/app/modallens-cli
FAILURES=$OUT/failures.txt
: >"$FAILURES"
log() { echo "gpu-check: $*" | tee -a "$OUT/gpu-check.log" >&2; }
fail() { log "FAILED: $*"; echo "$*" >>"$FAILURES"; }
[ -d /usr/local/cuda/bin ] && export PATH=$PATH:/usr/local/cuda/bin

stage_build() {
    local torch_prefix root=$REPO/.gpu/root
    # GPU_CHECK_TORCH_PREFIX names another LibTorch's CMake prefix (the dry run: Debian's).
    if [ -n "${GPU_CHECK_TORCH_PREFIX:-}" ]; then
        torch_prefix=$GPU_CHECK_TORCH_PREFIX
    elif torch_prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)'); then
        python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)' | tee -a "$OUT/gpu-check.log"
    else
        fail "python3 has no torch: no LibTorch to build against (GPU_CHECK_TORCH_PREFIX names one)"
        return 1
    fi
    rm -rf "$root" && mkdir -p "$root"
    for deb in .gpu/debs/*.deb; do
        [ -e "$deb" ] || { fail ".gpu/debs is empty: run scripts/gpu-deps.sh here first and carry .gpu"; return 1; }
        if command -v dpkg-deb >/dev/null; then
            dpkg-deb -x "$deb" "$root"
        else
            ar p "$deb" "$(ar t "$deb" | grep '^data\.tar')" | tar -xJ -C "$root"
        fi
    done
    local cuda_arch=90
    [ -n "$DRY" ] && cuda_arch=75
    # pkg-config is not asked (PKG_CONFIG_EXECUTABLE=false): PCRE2 is found by its header and library.
    cmake -S . -B "$BUILD_DIR" -G Ninja --no-warn-unused-cli -DCMAKE_BUILD_TYPE=Release \
        -DMODALLENS_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=$cuda_arch -DMODALLENS_MEDIA=OFF -DMODALLENS_BUILD_GUI=OFF \
        -DMODALLENS_BUILD_TESTS=ON -DMODALLENS_WERROR=${GPU_CHECK_WERROR:-OFF} "-DCMAKE_PREFIX_PATH=$torch_prefix;$root/usr" \
        -DPKG_CONFIG_EXECUTABLE=/bin/false -DMODALLENS_FIXTURES_DIR="$REPO/.gpu/fixtures" \
        -DCMAKE_DISABLE_FIND_PACKAGE_SQLite3=ON -DCMAKE_DISABLE_FIND_PACKAGE_faiss=ON \
        -DCMAKE_DISABLE_FIND_PACKAGE_OpenCV=ON -DCMAKE_DISABLE_FIND_PACKAGE_Qt6=ON >"$OUT/configure.log" 2>&1 \
        || { tail -n 40 "$OUT/configure.log"; fail "configure (see configure.log)"; return 1; }
    grep -E 'LibTorch|CUDA kernels|tests' "$OUT/configure.log" | tee -a "$OUT/gpu-check.log"
    local t0=$SECONDS
    cmake --build "$BUILD_DIR" -j "${JOBS:-$(nproc)}" >"$OUT/build.log" 2>&1 \
        || { grep -E 'error|Error' "$OUT/build.log" | head -n 40; fail "build (see build.log)"; return 1; }
    log "built in $((SECONDS - t0)) s"
}

stage_test() {
    [ -x "$CLI" ] || { fail "no $CLI: run the build stage first"; return 1; }
    # MODALLENS_REQUIRE_GPU: a gpu test that would skip (no CUDA, no fixtures) fails instead.
    [ -z "$DRY" ] && export MODALLENS_REQUIRE_GPU=1
    MODALLENS_FIXTURES_DIR=$REPO/.gpu/fixtures ctest --test-dir "$BUILD_DIR" -L gpu --output-on-failure \
        --timeout 300 >"$OUT/ctest.log" 2>&1
    local rc=$?
    tail -n 25 "$OUT/ctest.log"
    [ $rc -eq 0 ] || fail "ctest -L gpu (see ctest.log)"
    if grep -q 'No tests were found' "$OUT/ctest.log"; then
        fail "ctest found no gpu tests"
    fi
    if [ -z "$DRY" ] && grep -Eq '\*\*\*Skipped|Not Run' "$OUT/ctest.log"; then
        fail "a gpu test was skipped: CUDA or the fixtures were not found"
    fi
    # The device policy untold: what this machine gets.
    "$CLI" --version >"$OUT/version.txt" 2>&1 || fail "modallens-cli --version"
    if [ -z "$DRY" ] && ! grep -Eq '^device cuda' "$OUT/version.txt"; then
        fail "the device policy did not pick CUDA: $(head -n 3 "$OUT/version.txt" | tr '\n' ' ')"
    fi
    if [ -z "$DRY" ] && ! grep -Eq 'clip fp16' "$OUT/version.txt"; then
        fail "the dtype policy did not pick fp16 on CUDA: $(head -n 3 "$OUT/version.txt" | tr '\n' ' ')"
    fi
}

# bench NAME TIMEOUT ARGS...: modallens-cli --json ARGS into $OUT/NAME.json; it must say device cuda.
bench() {
    local name=$1 limit=$2
    shift 2
    log "bench $name: modallens-cli $*"
    timeout "$limit" "$CLI" --json --quiet "$@" >"$OUT/$name.json" 2>"$OUT/$name.err"
    local rc=$?
    if [ $rc -ne 0 ]; then
        fail "bench $name exited $rc: $(tail -n 3 "$OUT/$name.err" | tr '\n' ' ')"
        return
    fi
    if [ -z "$DRY" ] && ! grep -q '"device": "cuda"' "$OUT/$name.json"; then
        fail "bench $name did not run on CUDA: $(grep '"device"' "$OUT/$name.json")"
    fi
}

stage_bench() {
    [ -x "$CLI" ] || { fail "no $CLI: run the build stage first"; return 1; }
    local dev=(--device cuda --dtype fp16) clipBatch=256 seconds=5 ddpmBatch=64 lmShape=llama-7b newTokens=128 smi=""
    if [ -n "$DRY" ]; then
        dev=(--device cpu --dtype fp32)
        clipBatch=4 seconds=1 ddpmBatch=4 lmShape=opt-125m newTokens=4
    fi
    if command -v nvidia-smi >/dev/null; then
        nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv >"$OUT/gpu.txt" 2>&1
        nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used --format=csv,noheader,nounits -lms 250 \
            >"$OUT/smi.csv" 2>/dev/null &
        smi=$!
    elif [ -z "$DRY" ]; then
        fail "no nvidia-smi: is this a GPU machine?"
    fi
    date +%s.%N >"$OUT/cli-start.txt"
    bench clip 240 "${dev[@]}" bench clip --batch $clipBatch --seconds $seconds --no-text
    bench ddpm-b1 120 "${dev[@]}" bench ddpm --shape ddpm-cifar10-32 --batch 1 --seconds $seconds
    bench ddpm-b64 120 "${dev[@]}" bench ddpm --shape ddpm-cifar10-32 --batch $ddpmBatch --seconds $seconds
    if [ -n "$DRY" ]; then
        bench lm 240 "${dev[@]}" bench lm --shape $lmShape --prompt-tokens 16 --new-tokens $newTokens
    else
        bench lm 300 "${dev[@]}" bench lm --shape $lmShape --new-tokens $newTokens
    fi
    date +%s.%N >"$OUT/cli-end.txt"
    if [ -z "$DRY" ]; then
        log "transformers' side (scripts/gpu_hf_bench.py)"
        timeout 300 python3 scripts/gpu_hf_bench.py --clip-batch $clipBatch --seconds $seconds \
            --new-tokens $newTokens >"$OUT/hf.json" 2>"$OUT/hf.err" || fail "gpu_hf_bench.py (see hf.err)"
    fi
    [ -n "$smi" ] && kill "$smi" 2>/dev/null
}

for stage in $STAGES; do
    case $stage in
    build | test | bench) "stage_$stage" || true ;;
    *) echo "gpu-check.sh: unknown stage '$stage' (build, test, bench)" >&2; exit 2 ;;
    esac
done
python3 scripts/gpu_check_summary.py "$OUT" ${DRY:+--dry} >"$OUT/gpu-check.json" || fail "the summary (gpu_check_summary.py)"
cat "$OUT/gpu-check.json"
if [ -s "$FAILURES" ]; then
    echo "gpu-check: FAILED:" >&2
    sed 's/^/  /' "$FAILURES" >&2
    exit 1
fi
echo "gpu-check: every check passed" >&2
