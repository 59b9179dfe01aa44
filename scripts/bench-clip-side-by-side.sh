#!/usr/bin/env bash
# `bench clip` beside the PyTorch anchor (scripts/clip_cpu_anchor.py: transformers' CLIP image
# tower when transformers is installed, else a transcription of it) on this machine, in one run:
# images/s at batch 32 and 1, each side in float32 and bf16 (bf16 only where the CPU has it
# natively), and each side's best beside the other's. Needs python3-torch for the anchor.
# Usage: scripts/bench-clip-side-by-side.sh [seconds per figure, default 8]
set -euo pipefail
cd "$(dirname "$0")/.."
CLI=${CLI:-${BUILD_DIR:-build}/app/modallens-cli}
SECONDS_EACH=${1:-8}
[ -x "$CLI" ] || { echo "no $CLI: build first (scripts/build.sh)" >&2; exit 1; }
# The first Python that imports torch (Debian's python3-torch sits in /usr/bin/python3, which a
# pyenv or venv python3 on PATH may hide).
PY=""
for p in ${PYTHON:-} python3 /usr/bin/python3; do
    if "$p" -c "import torch" 2>/dev/null; then PY=$p; break; fi
done
[ -n "$PY" ] || { echo "the anchor needs PyTorch: apt-get install python3-torch" >&2; exit 1; }
bf16=$("$CLI" --version 2>/dev/null | grep -q "clip bf16" && echo yes || echo no)
lscpu | grep "Model name" | sed 's/  */ /g'
threads=${THREADS:-$(nproc)} # both sides alike
anchor=$("$PY" scripts/clip_cpu_anchor.py --threads "$threads" --seconds "$SECONDS_EACH" $([ "$bf16" = yes ] || echo --no-bf16))
ours() { "$CLI" --json --threads "$threads" --dtype "$2" bench clip --batch "$1" --seconds "$SECONDS_EACH" --no-text --no-compare 2>/dev/null; }
dtypes="fp32"; [ "$bf16" = yes ] && dtypes="fp32 bf16"
results="{}"
for b in 32 1; do
    for d in $dtypes; do
        results=$(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); r[sys.argv[2]]=json.loads(sys.argv[3]); print(json.dumps(r))' \
            "$results" "$b/$d" "$(ours $b $d)")
    done
done
python3 - "$anchor" "$results" <<'PY'
import json, sys
anchor, ours = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"anchor: {anchor['anchor']} (torch {anchor['torch']}, {anchor['threads']} threads)")
print(f"{'batch':>5} {'dtype':>14} {'modallens img/s':>16} {'anchor img/s':>13}  fraction_of_matmul")
for b in (32, 1):
    best_ours = best_anchor = 0.0
    for d in ("fp32", "bf16"):
        o = ours.get(f"{b}/{d}")
        a = next((r for r in anchor["runs"] if r["batch"] == b and r["dtype"].startswith(d)), None)
        if not o or not a:
            continue
        best_ours, best_anchor = max(best_ours, o["images_per_s"]), max(best_anchor, a["images_per_s"])
        print(f"{b:>5} {d:>14} {o['images_per_s']:>16.2f} {a['images_per_s']:>13.2f}  {o['fraction_of_matmul']:.2f}")
    print(f"{b:>5} {'best / best':>14} {best_ours:>16.2f} {best_anchor:>13.2f}  = {best_ours / best_anchor:.2f}x")
PY
