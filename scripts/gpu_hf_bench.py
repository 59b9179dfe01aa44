#!/usr/bin/env python3
"""transformers' side of scripts/gpu-check.sh (issue 18), on the same GPU and in the same run as
modallens-cli's benches, with the same shapes: CLIP ViT-B/32's image tower (CLIPVisionModelWithProjection)
in fp16 at batch 256, LLaMA-7B's shape in fp16 generating 128 tokens greedily after a 608-token prompt,
and the GPU memory's measured copy bandwidth. Weights are random: nothing is downloaded.
Prints one JSON document on stdout; each part that fails says why in its own "error" field."""
import argparse
import json
import sys
import time
import traceback

import torch


def timed_loop(fn, seconds):
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    n, t0 = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        torch.cuda.synchronize()
        dt = time.perf_counter() - t0
        if dt >= seconds:
            return n, dt


def clip_vision(batch, seconds):
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    cfg = CLIPVisionConfig(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                           image_size=224, patch_size=32, projection_dim=512)
    model = CLIPVisionModelWithProjection(cfg).to("cuda", torch.float16).eval()
    x = torch.randn(batch, 3, 224, 224, device="cuda", dtype=torch.float16)
    with torch.inference_mode():
        n, dt = timed_loop(lambda: model(pixel_values=x), seconds)
    return {"images_per_s": n * batch / dt, "batch": batch, "dtype": "fp16",
            "attn_implementation": getattr(model.config, "_attn_implementation", "?")}


def llama_generate(prompt_tokens, new_tokens):
    from transformers import LlamaConfig, LlamaForCausalLM

    cfg = LlamaConfig(hidden_size=4096, intermediate_size=11008, num_hidden_layers=32, num_attention_heads=32,
                      num_key_value_heads=32, vocab_size=32000, max_position_embeddings=4096)
    torch.manual_seed(2024)
    with torch.device("cuda"):
        torch.set_default_dtype(torch.float16)
        model = LlamaForCausalLM(cfg).eval()
        torch.set_default_dtype(torch.float32)
    ids = torch.randint(4, cfg.vocab_size, (1, prompt_tokens), device="cuda")
    common = dict(do_sample=False, pad_token_id=0, eos_token_id=None)

    def run(n):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        out = model.generate(ids, max_new_tokens=n, min_new_tokens=n, **common)
        torch.cuda.synchronize()
        return time.perf_counter() - t0, out.shape[1] - prompt_tokens

    with torch.inference_mode():
        run(4)  # warm-up
        first, _ = run(1)
        total, made = run(new_tokens)
    weight_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    return {"ttft_ms": first * 1000.0, "tokens_per_s": (made - 1) / max(total - first, 1e-9),
            "new_tokens": made, "prompt_tokens": prompt_tokens, "dtype": "fp16", "weight_bytes": weight_bytes,
            "note": "tokens/s over the tokens after the first: (n - 1) / (time(n) - time(1))"}


def copy_bandwidth():
    n = 1 << 30  # 2 GiB of fp16 each way
    a = torch.empty(n, device="cuda", dtype=torch.float16)
    b = torch.empty_like(a)
    reps, dt = timed_loop(lambda: b.copy_(a), 1.0)
    return {"copy_gb_per_s": 2 * a.numel() * a.element_size() * reps / dt / 1e9,
            "note": "device-to-device copy, bytes read + written"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clip-batch", type=int, default=256)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--prompt-tokens", type=int, default=608)
    ap.add_argument("--new-tokens", type=int, default=128)
    ap.add_argument("--skip-llama", action="store_true")
    args = ap.parse_args()
    out = {"torch": torch.__version__, "cuda": torch.version.cuda}
    try:
        import transformers
        out["transformers"] = transformers.__version__
    except Exception as e:  # noqa: BLE001
        out["transformers"] = "missing: %s" % e
    if not torch.cuda.is_available():
        out["error"] = "torch sees no CUDA device"
        print(json.dumps(out, indent=2))
        return 1
    out["gpu"] = torch.cuda.get_device_name(0)
    parts = [("memory", copy_bandwidth), ("clip", lambda: clip_vision(args.clip_batch, args.seconds))]
    if not args.skip_llama:
        parts.append(("llama", lambda: llama_generate(args.prompt_tokens, args.new_tokens)))
    for name, fn in parts:
        try:
            out[name] = fn()
        except Exception as e:  # noqa: BLE001
            out[name] = {"error": "%s: %s" % (type(e).__name__, e), "trace": traceback.format_exc(limit=3)}
        torch.cuda.empty_cache()
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
