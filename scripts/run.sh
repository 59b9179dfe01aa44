#!/usr/bin/env bash
# The first quick-start command: install what is missing, build, start the GUI.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
exec "${BUILD_DIR:-build}/app/modallens" "$@"
