#!/usr/bin/env bash
# Fills the git-ignored .gpu/ that scripts/gpu-check.sh needs on a lent GPU box, which has LibTorch
# (pip's torch), CUDA, CMake and ninja but nothing else of ours and no network:
#   .gpu/debs/      Debian 12's nlohmann-json, PCRE2 and zlib packages (unpacked there into
#                   .gpu/root, never into /)
#   .gpu/fixtures/  the golden fixtures the gpu tests compare with (clip, ddpm, llava, blip2)
# Run it here (Debian, apt's package lists present), then carry .gpu with the device tool:
#   run(command="scripts/gpu-check.sh", carry=[".gpu"], timeout_s=600)
set -euo pipefail
cd "$(dirname "$0")/.."
FIXTURES=${MODALLENS_FIXTURES_DIR:-../shared/fixtures}
mkdir -p .gpu/debs .gpu/fixtures
rm -f .gpu/debs/*.deb
(cd .gpu/debs && apt-get download -q nlohmann-json3-dev libpcre2-dev libpcre2-8-0 zlib1g-dev zlib1g)
for family in clip ddpm llava blip2; do
    if [ ! -d "$FIXTURES/$family" ]; then
        echo "gpu-deps: $FIXTURES/$family is missing (MODALLENS_FIXTURES_DIR names the fixtures)" >&2
        exit 1
    fi
    rm -rf ".gpu/fixtures/$family"
    # clip/openai (the OpenAI-layout variant) is not compared on the GPU: 4.7 MB less to carry.
    cp -a "$FIXTURES/$family" ".gpu/fixtures/$family"
    rm -rf ".gpu/fixtures/$family/openai"
done
du -sh .gpu/debs .gpu/fixtures
echo "gpu-deps: ready; with the tracked files this travels as about $(($(git ls-files -z | xargs -0 du -cb | tail -n 1 | cut -f1) / 1048576 + $(du -sm .gpu | cut -f1))) MiB (the limit is 64)"
