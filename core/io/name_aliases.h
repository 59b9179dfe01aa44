// Name alias tables: checkpoints in other naming schemes seen under Hugging Face names, so
// that every model binds its parameters one way. OpenAI CLIP / OpenCLIP is the first.
#pragma once

#include <torch/types.h>

#include <map>
#include <string>

namespace ml::io {

class Checkpoint;

// OpenAI/OpenCLIP state dict (visual.conv1.weight, visual.transformer.resblocks.N.attn.
// in_proj_weight, token_embedding.weight, text_projection, ...) as Hugging Face CLIP tensors:
// in_proj split into q/k/v, projections transposed. Tensors stay views where they can.
// Throws ml::Error listing keys that have no Hugging Face counterpart (a ResNet CLIP, say).
std::map<std::string, torch::Tensor> openClipToHuggingFace(const Checkpoint &ckpt);

} // namespace ml::io
