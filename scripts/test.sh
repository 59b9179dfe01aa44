#!/usr/bin/env bash
# The second quick-start command: install what is missing, build, run the whole test suite.
# GPU tests skip themselves without a device; golden tests need ../shared/fixtures.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
cd "${BUILD_DIR:-build}"
ctest --output-on-failure -j "${JOBS:-$(nproc)}" "$@"
