#!/usr/bin/env bash
# Configures (once) and builds ModalLens (Release, Ninja, ccache when present) into ${BUILD_DIR:-build}.
# An existing build folder is not configured again: the build itself re-runs CMake when a
# CMakeLists.txt changed. Arguments (-DOPTION=...) force a configure with them.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}
# ccache can reuse compiles that use precompiled headers only with this sloppiness; the base
# dir makes hits independent of where the checkout lives (CI clones into a new folder).
export CCACHE_SLOPPINESS=${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
if [ $# -gt 0 ] || [ ! -f "$BUILD_DIR/CMakeCache.txt" ] || [ ! -f "$BUILD_DIR/build.ninja" ]; then
    cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@"
fi
cmake --build "$BUILD_DIR" -j "$JOBS"
