#!/usr/bin/env bash
# Installs the Debian 12 packages ModalLens needs to build, test and run; only what is missing.
# Run as root (or with sudo available). Safe to run again: it does nothing when all is there.
set -euo pipefail

PACKAGES=(
    build-essential cmake ninja-build ccache pkg-config dpkg-dev file
    qt6-base-dev qt6-tools-dev qt6-tools-dev-tools qt6-l10n-tools linguist-qt6 libqt6svg6-dev
    qt6-qpa-plugins libqcustomplot-dev
    libtorch-dev libopenblas0-openmp
    libopencv-dev libavformat-dev libavcodec-dev libswscale-dev libavutil-dev
    nlohmann-json3-dev libsqlite3-dev libpcre2-dev libfaiss-dev zlib1g-dev
    dataset-fashion-mnist
)

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "deps: all ${#PACKAGES[@]} packages present"
    exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "deps: installing ${missing[*]}"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
