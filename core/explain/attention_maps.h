// Explanations as functions of a ViT's attention probabilities (and their gradients): raw
// attention, attention rollout, gradient-weighted relevance. Plain tensor math on model outputs:
// nothing here runs or patches a model. Token 0 is CLS; tokens 1..P are the patches, row-major.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ml::explain {

// How the heads of one layer become one matrix (vit-explain's head_fusion).
enum class HeadFusion { Mean, Max, Min };
HeadFusion headFusionFromName(const std::string &name); // "mean" | "max" | "min"; throws ml::Error
const char *headFusionName(HeadFusion fusion);

// attention: [H, T, T] (query row, key column) -> [T, T] float64.
torch::Tensor fuseHeads(const torch::Tensor &attention, HeadFusion fusion);

// Raw attention of one layer from `queryToken` (0 = CLS, 1..P = a patch) to the patches:
// [P] float64 (the CLS column left out). head >= 0 takes that head, head < 0 fuses them all.
torch::Tensor rawAttention(
    const torch::Tensor &attention, std::int64_t head, HeadFusion fusion, std::int64_t queryToken = 0);

// Attention rollout (Abnar & Zuidema 2020) as jacobgil/vit-explain computes it: per layer fuse
// the heads; with discardRatio > 0 set the lowest floor(T * T * discardRatio) fused weights to
// zero (never the CLS -> CLS weight); A = (fused + I) / 2, rows re-normalised to sum to 1;
// joint = A_L ... A_2 A_1 (the first layer applied first). attentions: one [H, T, T] per layer.
// Returns the joint matrix [T, T] float64, unscaled.
torch::Tensor attentionRollout(
    const std::vector<torch::Tensor> &attentions, HeadFusion fusion = HeadFusion::Mean, double discardRatio = 0.0);
// The CLS row of a joint matrix without the CLS column: [P].
torch::Tensor clsToPatches(const torch::Tensor &joint);

// Gradient-weighted relevance (Chefer, Gur, Wolf, ICCV 2021, Eq. 5-6, self-attention only):
// R = I; for each layer l >= startLayer: Abar = mean_heads((grad_l * A_l)^+), R += Abar R.
// attentions / gradients: one [H, T, T] per layer (gradient of the explained score with respect
// to that layer's attention probabilities). Returns R [T, T] float64.
torch::Tensor gradientRelevance(const std::vector<torch::Tensor> &attentions,
    const std::vector<torch::Tensor> &gradients, std::int64_t startLayer = 0);

} // namespace ml::explain
