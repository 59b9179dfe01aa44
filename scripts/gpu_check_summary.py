#!/usr/bin/env python3
"""Gathers what scripts/gpu-check.sh left in OUT into one JSON document (stdout): the machine, what the
device policy chose, the gpu tests, every figure beside transformers' and its goal (issue 18), and
whether the GPU was really used while modallens-cli ran (nvidia-smi's samples). Standard library only."""
import datetime
import json
import os
import re
import sys
import time


def load(out, name):
    path = os.path.join(out, name)
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return None
    except ValueError as e:
        return {"error": "%s is not JSON: %s" % (name, e)}


def text(out, name):
    try:
        with open(os.path.join(out, name), encoding="utf-8", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return None


def ratio(a, b):
    return a / b if a and b else None


def goal(value, op, bound):
    if value is None:
        return None
    return value >= bound if op == ">=" else value <= bound


def ctest_summary(log):
    if log is None:
        return None
    tests = {}
    for m in re.finditer(r"Test\s+#\d+: (\S+) \.+\s*(\*{0,3}\w[\w ]*?)\s+[\d.]+ sec", log):
        tests[m.group(1)] = m.group(2).strip("* ")
    m = re.search(r"(\d+)% tests passed, (\d+) tests failed out of (\d+)", log)
    return {"tests": tests, "summary": m.group(0) if m else "no summary (see ctest.log)"}


def gpu_use(out):
    """nvidia-smi's samples while modallens-cli's benches ran (cli-start.txt .. cli-end.txt)."""
    smi = text(out, "smi.csv")
    try:
        start, end = float(text(out, "cli-start.txt")), float(text(out, "cli-end.txt"))
    except (TypeError, ValueError):
        start, end = None, None
    if not smi:
        return None
    rows = []
    for line in smi.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
            continue
        try:
            when = time.mktime(datetime.datetime.strptime(parts[0], "%Y/%m/%d %H:%M:%S.%f").timetuple())
        except ValueError:
            when = None
        rows.append((when, int(parts[1]), int(parts[2])))
    if not rows:
        return {"error": "no nvidia-smi samples"}
    base = rows[0][2]
    cli = [r for r in rows if start is None or r[0] is None or start - 1 <= r[0] <= end + 1]
    peak_mem = max(r[2] for r in cli) if cli else None
    max_util = max(r[1] for r in cli) if cli else None
    return {"samples": len(cli), "memory_used_mib_before": base, "memory_used_mib_peak": peak_mem,
            "utilization_max_pct": max_util, "samples_busy": sum(1 for r in cli if r[1] > 0),
            "used": bool(cli) and peak_mem - base > 200 and max_util > 0,
            "note": "sampled every 250 ms while modallens-cli's benches ran"}


def main():
    out = sys.argv[1]
    dry = "--dry" in sys.argv
    clip, hf = load(out, "clip.json"), load(out, "hf.json") or {}
    b1, b64, lm = load(out, "ddpm-b1.json"), load(out, "ddpm-b64.json"), load(out, "lm.json")
    hf_clip, hf_lm, mem = hf.get("clip") or {}, hf.get("llama") or {}, hf.get("memory") or {}
    ours_ips = (clip or {}).get("images_per_s")
    ours_tps = (lm or {}).get("tokens_per_s")
    lm_gbps = None
    if lm and lm.get("weight_bytes_per_token") and ours_tps:
        lm_gbps = lm["weight_bytes_per_token"] * ours_tps / 1e9
    bw = mem.get("copy_gb_per_s")
    figures = {
        "clip_vitb32_fp16_b256": {
            "modallens_images_per_s": ours_ips, "transformers_images_per_s": hf_clip.get("images_per_s"),
            "ratio": ratio(ours_ips, hf_clip.get("images_per_s")),
            "goal": ">= 4000 images/s and >= 1.5x transformers",
            "met": (goal(ours_ips, ">=", 4000) and goal(ratio(ours_ips, hf_clip.get("images_per_s")), ">=", 1.5))
            if hf_clip.get("images_per_s") else None,
            "modallens": clip, "transformers": hf_clip},
        "ddpm_cifar10_32_step": {
            "batch1_ms": (b1 or {}).get("ms_per_step"), "batch64_ms": (b64 or {}).get("ms_per_step"),
            "goal": "batch 1 <= 5 ms", "met": goal((b1 or {}).get("ms_per_step"), "<=", 5.0),
            "modallens": {"batch1": b1, "batch64": b64}},
        "llama7b_fp16_608_plus_128": {
            "modallens_ttft_ms": (lm or {}).get("ttft_ms"), "modallens_tokens_per_s": ours_tps,
            "transformers_ttft_ms": hf_lm.get("ttft_ms"), "transformers_tokens_per_s": hf_lm.get("tokens_per_s"),
            "ratio_tokens_per_s": ratio(ours_tps, hf_lm.get("tokens_per_s")),
            "weight_read_gb_per_s": lm_gbps, "measured_copy_gb_per_s": bw,
            "fraction_of_bandwidth": ratio(lm_gbps, bw),
            "goal": "ttft <= 150 ms; tokens/s >= 2x transformers and >= 50 % of the bandwidth",
            "met": (goal((lm or {}).get("ttft_ms"), "<=", 150) and goal(ratio(ours_tps, hf_lm.get("tokens_per_s")), ">=", 2)
                    and goal(ratio(lm_gbps, bw), ">=", 0.5)) if hf_lm.get("tokens_per_s") and bw else None,
            "modallens": lm, "transformers": hf_lm},
        "index_2000_jpegs_vitb32": {
            "measured": False,
            "why": "bench index needs media I/O (OpenCV, FFmpeg) and SQLite, which this GPU box lacks; "
                   "the core + CLI build here has MODALLENS_MEDIA=OFF"},
    }
    version = text(out, "version.txt")
    doc = {
        "dry_run_on_cpu": dry,
        "gpu": (text(out, "gpu.txt") or "").strip() or None,
        "transformers_side": {k: hf.get(k) for k in ("torch", "cuda", "transformers", "gpu", "error") if k in hf},
        "device_policy": version.strip().splitlines() if version else None,
        "gpu_tests": ctest_summary(text(out, "ctest.log")),
        "gpu_used_by_modallens": gpu_use(out),
        "figures": figures,
        "failures": [line for line in (text(out, "failures.txt") or "").splitlines() if line],
    }
    used = doc["gpu_used_by_modallens"]
    status = 0
    if not dry and used is not None and not used.get("used"):
        doc["failures"].append("the GPU's memory did not rise (or it stayed idle) while modallens-cli's benches ran")
        status = 1
    json.dump(doc, sys.stdout, indent=2)
    print()
    return status


if __name__ == "__main__":
    sys.exit(main())
