// The fast path for embeddings: a loaded CLIP's weights laid out once for inference (q, k, v
// fused into one GEMM, matrix weights in the compute dtype) and a forward that keeps nothing.
#pragma once

#include "models/clip/clip_config.h"
#include "models/clip/clip_cpu_forward.h"
#include "models/clip/clip_model.h"

#include <torch/types.h>

#include <set>

#include <vector>

namespace ml::clip {

// Mixed precision as autocast does it, without casting weights on every call: GEMM operands
// (and their outputs) in the compute dtype, the residual stream, LayerNorms, softmax, biases
// added to the residual and the embeddings in float32. In float32 on the CPU the tensors share
// the model's storage, except q/k/v, which are concatenated: drop the model once this is built
// and nothing is held twice.
class ClipInference {
public:
    // How the encoder layers run. OneDnn (the default on a CPU where the build has oneDNN, for
    // float32 and bf16): clip_cpu_forward.h, fused. Torch: LibTorch operators, on any device.
    enum class Engine { Auto, Torch, OneDnn };

    // model: as loadClip() returns it, in float32, on the CPU.
    ClipInference(
        ClipModelImpl &model, torch::ScalarType computeDtype, torch::Device device, Engine engine = Engine::Auto);

    // pixelValues: [B, 3, H, W] float32 (any device) -> [B, P] float32, L2-normalised.
    torch::Tensor imageEmbeddings(const torch::Tensor &pixelValues) const;
    // inputIds: [B, T] right-padded (EOS before any padding) -> [B, P] float32, L2-normalised.
    // Only positions up to each row's EOS matter (causal attention), so callers may drop
    // trailing columns that are padding in every row.
    torch::Tensor textEmbeddings(const torch::Tensor &inputIds) const;
    // tokenEmbeds: [B, T, C] token embeddings (rows of tokenTable() or learnt vectors, as CoOp's
    // prompts), pooled at eosIndex [B] -> [B, P] float32, L2-normalised.
    torch::Tensor textEmbeddingsFromTokens(const torch::Tensor &tokenEmbeds, const torch::Tensor &eosIndex) const;
    const torch::Tensor &tokenTable() const { return m_tokenEmbedding; } // [V, C] float32, on device()

    const ClipConfig &config() const { return m_cfg; }
    double logitScale() const { return m_logitScale; } // exp(logit_scale)
    torch::ScalarType dtype() const { return m_dtype; }
    torch::Device device() const { return m_device; }
    Engine engine() const { return m_engine; } // never Auto
    const char *engineName() const { return m_engine == Engine::OneDnn ? "onednn" : "torch"; }
    // The bytes of every tensor held (each storage counted once): what the model cache counts.
    // seen: storages already counted elsewhere (a model sharing them), updated.
    std::int64_t residentBytes(std::set<const void *> *seen = nullptr) const;

private:
    struct Layer {
        torch::Tensor ln1Weight, ln1Bias, ln2Weight, ln2Bias; // [C] float32
        // On OneDnn the four matrix weights may hold packed bytes instead (CpuTower's formats).
        torch::Tensor qkvWeight, qkvBias; // [3C, C], [3C] compute dtype (bias float32 on OneDnn)
        torch::Tensor outWeight, outBias; // [C, C] compute, [C] float32
        torch::Tensor fc1Weight, fc1Bias; // [I, C], [I] compute dtype (bias float32 on OneDnn)
        torch::Tensor fc2Weight, fc2Bias; // [C, I] compute, [C] float32
    };
    struct Tower {
        std::vector<Layer> layers;
        std::int64_t heads = 1;
        double eps = 1e-5;
        Activation act = Activation::QuickGelu;
        CpuTower cpu; // pointers into `layers`, for the OneDnn engine
    };
    static CpuTower cpuTower(Tower &tower, std::int64_t intermediate, bool bf16);
    // x: [B * T, C] float32, updated in place. mask: additive [1, T, T] in the compute dtype, or undefined.
    void runEncoder(
        const Tower &tower, torch::Tensor &x, std::int64_t B, std::int64_t T, const torch::Tensor &mask) const;
    torch::Tensor gemmInput(const torch::Tensor &x) const; // to the compute dtype
    // a [m, k] @ w [n, k]^T -> [m, n] float32 (w in the compute dtype; or packed, on OneDnn)
    torch::Tensor linearF32(const torch::Tensor &a, const torch::Tensor &w) const;
    torch::Tensor linearF32(const torch::Tensor &a, const CpuWeight &w) const;

    ClipConfig m_cfg;
    torch::ScalarType m_dtype;
    torch::Device m_device;
    Engine m_engine = Engine::Torch;
    double m_logitScale = 1.0;

    Tower m_vision, m_text;
    torch::Tensor m_patchWeight;                       // [C, 3 * p * p] compute dtype (Torch engine)
    CpuWeight m_patchPacked;                           // the same for the OneDnn engine
    torch::Tensor m_classEmbedding, m_visionPositions; // [C], [1 + P, C] float32
    torch::Tensor m_preLnWeight, m_preLnBias, m_postLnWeight, m_postLnBias;
    torch::Tensor m_visualProjection;                // [P, C] compute dtype
    torch::Tensor m_tokenEmbedding, m_textPositions; // [V, C], [T, C] float32
    torch::Tensor m_finalLnWeight, m_finalLnBias;
    torch::Tensor m_textProjection; // [P, C] compute dtype
};

} // namespace ml::clip
