#!/usr/bin/env bash
# Installs the Debian 12 packages ModalLens needs to build, test and run; only what is missing.
# With everything present it asks dpkg once (a few milliseconds) and touches neither apt nor the
# network; otherwise it needs root (or sudo) and Debian's archive.
set -euo pipefail

# fonts-wqy-microhei: without a CJK font, 简体中文 shows as boxes on a bare Debian.
# Real package names only: a virtual one (libqt6svg6-dev is provided by qt6-svg-dev) is never
# "installed" for dpkg, so it would send every start to apt-get.
PACKAGES=(
    build-essential cmake ninja-build ccache pkg-config dpkg-dev file
    qt6-base-dev qt6-tools-dev qt6-tools-dev-tools qt6-l10n-tools linguist-qt6 qt6-svg-dev
    qt6-qpa-plugins qt6-translations-l10n fonts-wqy-microhei libqcustomplot-dev
    libtorch-dev libopenblas0-openmp libdnnl-dev
    libopencv-dev libopencv-contrib-dev libavformat-dev libavcodec-dev libswscale-dev libavutil-dev
    nlohmann-json3-dev libsqlite3-dev libpcre2-dev libsentencepiece-dev libfaiss-dev zlib1g-dev
    dataset-fashion-mnist
)
# The fuzzers (scripts/fuzz.sh, CI) need clang and its libFuzzer; the app does not.
if [ -n "${DEPS_FUZZ:-}" ]; then
    PACKAGES+=(clang libclang-rt-14-dev)
fi

# One dpkg-query for all: "name ii" for each installed package ("un" or nothing otherwise).
mapfile -t installed < <(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${PACKAGES[@]}" 2>/dev/null |
    awk '$2 ~ /^ii/ { print $1 }')
missing=()
for p in "${PACKAGES[@]}"; do
    [[ " ${installed[*]} " == *" $p "* ]] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    [ -n "${DEPS_QUIET:-}" ] || echo "deps: all ${#PACKAGES[@]} packages present"
    exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "deps: installing ${missing[*]}"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
