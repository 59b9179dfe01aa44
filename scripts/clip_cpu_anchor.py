#!/usr/bin/env python3
"""The anchor for `bench clip` on the CPU (issue 19): images/s of a ViT-B/32-shaped CLIP image
tower in PyTorch, random weights, in float32 and under bf16 autocast, in the same LibTorch.
With transformers installed it times transformers' own CLIPVisionModelWithProjection (eager
attention); without, a transcription of that model's forward (transformers 4.40,
models/clip/modeling_clip.py: CLIPVisionEmbeddings, CLIPAttention, CLIPMLP, CLIPEncoderLayer,
post_layernorm on the CLS token, visual_projection), op for op, which the output says.
Prints one JSON document on stdout. Nothing is downloaded."""
import argparse
import json
import time

import torch
from torch import nn

C, I, L, H, P, S, PROJ = 768, 3072, 12, 12, 32, 224, 512


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(C, C) for _ in range(4))
        self.layer_norm1, self.layer_norm2 = nn.LayerNorm(C), nn.LayerNorm(C)
        self.fc1, self.fc2 = nn.Linear(C, I), nn.Linear(I, C)

    def heads(self, t, b, n):  # [b, n, C] -> [b * H, n, D], as CLIPAttention._shape then view
        return t.view(b, n, H, C // H).transpose(1, 2).contiguous().view(b * H, n, C // H)

    def forward(self, x):
        b, n, _ = x.shape
        h = self.layer_norm1(x)
        q = self.heads(self.q_proj(h) * (C // H) ** -0.5, b, n)
        k, v = self.heads(self.k_proj(h), b, n), self.heads(self.v_proj(h), b, n)
        w = nn.functional.softmax(torch.bmm(q, k.transpose(1, 2)), dim=-1)
        a = torch.bmm(w, v).view(b, H, n, C // H).transpose(1, 2).reshape(b, n, C)
        x = x + self.out_proj(a)
        f = self.fc1(self.layer_norm2(x))
        return x + self.fc2(f * torch.sigmoid(1.702 * f))  # quick_gelu


class Transcription(nn.Module):
    def __init__(self):
        super().__init__()
        self.patch_embedding = nn.Conv2d(3, C, P, P, bias=False)
        self.class_embedding = nn.Parameter(torch.randn(C))
        self.position_embedding = nn.Embedding((S // P) ** 2 + 1, C)
        self.pre_layrnorm, self.post_layernorm = nn.LayerNorm(C), nn.LayerNorm(C)
        self.layers = nn.ModuleList(Layer() for _ in range(L))
        self.visual_projection = nn.Linear(C, PROJ, bias=False)
        self.register_buffer("position_ids", torch.arange((S // P) ** 2 + 1).unsqueeze(0))

    def forward(self, pixel_values):
        b = pixel_values.shape[0]
        patches = self.patch_embedding(pixel_values).flatten(2).transpose(1, 2)
        x = torch.cat([self.class_embedding.expand(b, 1, -1), patches], dim=1)
        x = self.pre_layrnorm(x + self.position_embedding(self.position_ids))
        for layer in self.layers:
            x = layer(x)
        return self.visual_projection(self.post_layernorm(x[:, 0, :]))


def model():
    try:
        import transformers
        from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection
    except ImportError:
        return Transcription().eval(), "eager transcription of transformers 4.40 CLIPVisionModelWithProjection"
    cfg = CLIPVisionConfig(hidden_size=C, intermediate_size=I, num_hidden_layers=L, num_attention_heads=H,
                           image_size=S, patch_size=P, projection_dim=PROJ)
    m = CLIPVisionModelWithProjection(cfg).eval()
    return (lambda x: m(pixel_values=x).image_embeds), f"transformers {transformers.__version__} CLIPVisionModelWithProjection"


def images_per_s(m, batch, bf16, seconds):
    x = torch.randn(batch, 3, S, S)
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        for _ in range(2):
            m(x)
        n, t0 = 0, time.perf_counter()
        while n < 2 or time.perf_counter() - t0 < seconds:
            m(x)
            n += 1
        return n * batch / (time.perf_counter() - t0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, action="append", help="batch sizes (default 32 and 1)")
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--no-bf16", action="store_true", help="float32 only (a CPU without native bf16)")
    ap.add_argument("--threads", type=int, help="intra-op threads (default: PyTorch's choice)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    m, name = model()
    out = {"anchor": name, "torch": torch.__version__, "threads": torch.get_num_threads(), "runs": []}
    for batch in args.batch or [32, 1]:
        for bf16 in ([False] if args.no_bf16 else [False, True]):
            out["runs"].append({"batch": batch, "dtype": "bf16-autocast" if bf16 else "fp32",
                                "images_per_s": images_per_s(m, batch, bf16, args.seconds)})
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
