#!/usr/bin/env bash
# The sanitizer suite (issue 17): our code built with ASan + UBSan into ${BUILD_DIR:-build-asan}, then the
# test suite less the slow and GPU tests. Any sanitizer report fails its test (tests/CMakeLists.txt sets
# the options; tests/sanitizers/ holds the third-party suppressions). Arguments (-DOPTION=...) force a
# configure with them.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-asan}
# -g puts the working directory into the objects, and ccache then keys on it by default: a fresh
# clone (CI) would miss the cache for every file. Not here: the paths in the debug info may name
# another checkout, which nothing relies on.
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
scripts/deps.sh
# -O1 -g: a faster compile and exact stacks in the reports; NDEBUG as in Release.
if [ $# -gt 0 ] || [ ! -f "$BUILD_DIR/CMakeCache.txt" ] || [ ! -f "$BUILD_DIR/build.ninja" ]; then
    cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g -DNDEBUG" "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -g -DNDEBUG" \
        -DMODALLENS_SANITIZE=address,undefined -DMODALLENS_CUDA=OFF -DMODALLENS_WERROR=ON "$@"
fi
BUILD_DIR=$BUILD_DIR scripts/build.sh
cd "$BUILD_DIR"
ctest --output-on-failure -j "${JOBS:-$(nproc)}" -LE 'slow|gpu'
