// CLIP embeddings on the fast path. Same maths as clip_model.cpp (the reference port), laid
// out for GEMMs: one [3C, C] q/k/v product per layer, attention scale applied inside the
// batched product, patch embedding as one matrix product, the residual updated in place.
// Ref: transformers/models/clip/modeling_clip.py (v4.40), CLIPModel.get_{image,text}_features
#include "models/clip/clip_inference.h"

#include "common/error.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <string>

namespace ml::clip {

namespace {

using ParamMap = std::map<std::string, torch::Tensor>;

const torch::Tensor &param(const ParamMap &params, const std::string &name)
{
    const auto it = params.find(name);
    TORCH_CHECK(it != params.end(), "CLIP parameter '", name, "' is missing");
    return it->second;
}

void activateInPlace(torch::Tensor &x, Activation act)
{
    switch (act) {
    case Activation::QuickGelu:
        // x * sigmoid(1.702 x) = silu(1.702 x) / 1.702: one vectorised kernel, in place and four
        // times faster than the literal form; the two roundings differ by < 1e-6 relative.
        x.mul_(1.702);
        at::silu_(x);
        x.mul_(1.0 / 1.702);
        return;
    case Activation::Gelu:
        x = at::gelu(x);
        return;
    case Activation::GeluTanh:
        x = at::gelu(x, "tanh");
        return;
    }
}

kernels::Activation kernelActivation(Activation act)
{
    switch (act) {
    case Activation::QuickGelu:
        return kernels::Activation::QuickGelu;
    case Activation::Gelu:
        return kernels::Activation::Gelu;
    case Activation::GeluTanh:
        return kernels::Activation::GeluTanh;
    }
    return kernels::Activation::None;
}

} // namespace

// The fused engine's view of a tower: its matrix weights repacked where oneDNN wants (each
// layer's tensor then holds the packed bytes), raw pointers into the tensors `tower` holds.
CpuTower ClipInference::cpuTower(Tower &tower, std::int64_t intermediate, bool bf16)
{
    CpuTower cpu;
    cpu.heads = tower.heads;
    cpu.eps = static_cast<float>(tower.eps);
    cpu.act = kernelActivation(tower.act);
    cpu.intermediate = intermediate;
    const auto pack = [&](torch::Tensor &w, int &format) { // every layer's weights share the shape, so the format
        auto packed = packForCpu(w, bf16);
        w = packed.data;
        format = packed.format;
    };
    for (Layer &l : tower.layers) {
        pack(l.qkvWeight, cpu.qkvFormat);
        pack(l.outWeight, cpu.outFormat);
        pack(l.fc1Weight, cpu.fc1Format);
        pack(l.fc2Weight, cpu.fc2Format);
        cpu.hidden = l.ln1Weight.size(0);
        cpu.layers.push_back({l.ln1Weight.data_ptr<float>(), l.ln1Bias.data_ptr<float>(), l.ln2Weight.data_ptr<float>(),
            l.ln2Bias.data_ptr<float>(), l.qkvWeight.data_ptr(), l.outWeight.data_ptr(), l.fc1Weight.data_ptr(),
            l.fc2Weight.data_ptr(), l.qkvBias.data_ptr<float>(), l.outBias.data_ptr<float>(),
            l.fc1Bias.data_ptr<float>(), l.fc2Bias.data_ptr<float>()});
    }
    return cpu;
}

ClipInference::ClipInference(ClipModelImpl &model, torch::ScalarType computeDtype, torch::Device device, Engine engine)
    : m_cfg(model.config())
    , m_dtype(computeDtype)
    , m_device(device)
{
    c10::InferenceMode guard;
    const bool oneDnnFits = device.is_cpu()
        && (computeDtype == torch::kFloat || (computeDtype == torch::kBFloat16 && cpuForwardAvailable(/*bf16=*/true)))
        && cpuForwardAvailable();
    if (engine == Engine::OneDnn && !oneDnnFits)
        throw Error(std::string("the oneDNN CLIP engine runs float32 or bf16 on a CPU")
            + (!cpuForwardAvailable()                  ? ", and this build has no oneDNN"
                    : computeDtype == torch::kBFloat16 ? ", and bf16 only where oneDNN has it (AVX512 and up)"
                                                       : ""));
    m_engine = engine == Engine::Torch || !oneDnnFits ? Engine::Torch : Engine::OneDnn;
    const bool fused = m_engine == Engine::OneDnn;
    ParamMap params;
    for (const auto &p : model.named_parameters())
        params[p.key()] = p.value().detach();
    // Small tensors (norms, biases added to the residual, embeddings) stay float32.
    const auto f32
        = [&](const std::string &name) { return param(params, name).to(m_device, torch::kFloat).contiguous(); };
    const auto gemm = [&](const torch::Tensor &t) { return t.to(m_device, m_dtype).contiguous(); };
    // Biases the fused engine adds inside the product stay float32.
    const auto gemmBias
        = [&](const torch::Tensor &t) { return fused ? t.to(m_device, torch::kFloat).contiguous() : gemm(t); };

    const auto loadTower = [&](const std::string &prefix, std::int64_t layers, std::int64_t heads, double eps,
                               const std::string &act, std::int64_t intermediate, Tower &tower) {
        tower.heads = heads;
        tower.eps = eps;
        tower.act = activationFromName(act);
        for (std::int64_t i = 0; i < layers; ++i) {
            const std::string p = prefix + "encoder.layers." + std::to_string(i) + ".";
            Layer l;
            l.ln1Weight = f32(p + "layer_norm1.weight");
            l.ln1Bias = f32(p + "layer_norm1.bias");
            l.ln2Weight = f32(p + "layer_norm2.weight");
            l.ln2Bias = f32(p + "layer_norm2.bias");
            l.qkvWeight = gemm(at::cat({param(params, p + "self_attn.q_proj.weight"),
                param(params, p + "self_attn.k_proj.weight"), param(params, p + "self_attn.v_proj.weight")}));
            l.qkvBias = gemmBias(at::cat({param(params, p + "self_attn.q_proj.bias"),
                param(params, p + "self_attn.k_proj.bias"), param(params, p + "self_attn.v_proj.bias")}));
            l.outWeight = gemm(param(params, p + "self_attn.out_proj.weight"));
            l.outBias = f32(p + "self_attn.out_proj.bias");
            l.fc1Weight = gemm(param(params, p + "mlp.fc1.weight"));
            l.fc1Bias = gemmBias(param(params, p + "mlp.fc1.bias"));
            l.fc2Weight = gemm(param(params, p + "mlp.fc2.weight"));
            l.fc2Bias = f32(p + "mlp.fc2.bias");
            tower.layers.push_back(std::move(l));
        }
        if (fused)
            tower.cpu = cpuTower(tower, intermediate, m_dtype == torch::kBFloat16);
    };
    const auto &vc = m_cfg.vision_config;
    const auto &tc = m_cfg.text_config;
    loadTower("vision_model.", vc.num_hidden_layers, vc.num_attention_heads, vc.layer_norm_eps, vc.hidden_act,
        vc.intermediate_size, m_vision);
    loadTower("text_model.", tc.num_hidden_layers, tc.num_attention_heads, tc.layer_norm_eps, tc.hidden_act,
        tc.intermediate_size, m_text);

    m_patchWeight = gemm(param(params, "vision_model.embeddings.patch_embedding.weight").reshape({vc.hidden_size, -1}));
    if (fused) { // the packed copy replaces it
        m_patchPacked = packForCpu(m_patchWeight, m_dtype == torch::kBFloat16);
        m_patchWeight = torch::Tensor();
    }
    m_classEmbedding = f32("vision_model.embeddings.class_embedding");
    m_visionPositions = f32("vision_model.embeddings.position_embedding.weight");
    m_preLnWeight = f32("vision_model.pre_layrnorm.weight");
    m_preLnBias = f32("vision_model.pre_layrnorm.bias");
    m_postLnWeight = f32("vision_model.post_layernorm.weight");
    m_postLnBias = f32("vision_model.post_layernorm.bias");
    m_visualProjection = gemm(param(params, "visual_projection.weight"));
    m_tokenEmbedding = f32("text_model.embeddings.token_embedding.weight");
    m_textPositions = f32("text_model.embeddings.position_embedding.weight");
    m_finalLnWeight = f32("text_model.final_layer_norm.weight");
    m_finalLnBias = f32("text_model.final_layer_norm.bias");
    m_textProjection = gemm(param(params, "text_projection.weight"));
    m_logitScale = std::exp(param(params, "logit_scale").to(torch::kDouble).item<double>());
}

torch::Tensor ClipInference::gemmInput(const torch::Tensor &x) const
{
    return x.scalar_type() == m_dtype ? x : x.to(m_dtype);
}

torch::Tensor ClipInference::linearF32(const torch::Tensor &a, const torch::Tensor &w) const
{
    if (m_engine == Engine::Torch)
        return at::mm(gemmInput(a), w.t()).to(torch::kFloat);
    return linearF32(a, CpuWeight {w, w.size(0), -1});
}

torch::Tensor ClipInference::linearF32(const torch::Tensor &a, const CpuWeight &w) const
{
    const auto in = gemmInput(a).contiguous();
    auto out = at::empty({a.size(0), w.n}, a.options().dtype(torch::kFloat));
    cpuLinear(in.data_ptr(), w, out.data_ptr<float>(), a.size(0), a.size(1), m_dtype == torch::kBFloat16);
    return out;
}

void ClipInference::runEncoder(
    const Tower &tower, torch::Tensor &x, std::int64_t B, std::int64_t T, const torch::Tensor &mask) const
{
    if (m_engine == Engine::OneDnn) {
        TORCH_CHECK(x.is_contiguous() && x.scalar_type() == torch::kFloat, "the residual stream must be float32");
        runCpuEncoder(tower.cpu, x.data_ptr<float>(), B, T, mask.defined(), m_dtype == torch::kBFloat16);
        return;
    }
    const std::int64_t C = x.size(1), H = tower.heads, D = C / H;
    const double scale = 1.0 / std::sqrt(static_cast<double>(D));
    const bool mixed = m_dtype != torch::kFloat;
    // beta = 0 ignores the input; it only has to broadcast to [B * H, T, T].
    const torch::Tensor noMask = mask.defined() ? mask : at::zeros({1, 1, 1}, x.options().dtype(m_dtype));
    const double beta = mask.defined() ? 1.0 : 0.0;
    // x += a @ w^T + bias, accumulating into the float32 residual.
    // On the CPU in bf16, one pass of the fused kernel adds the bf16 product and the bias.
    const bool cpuBf16 = m_device.is_cpu() && m_dtype == torch::kBFloat16;
    const auto residualAdd = [&](const torch::Tensor &a, const torch::Tensor &w, const torch::Tensor &bias) {
        if (cpuBf16) {
            const auto y = at::mm(a, w.t());
            const auto *yp = reinterpret_cast<const std::uint16_t *>(y.data_ptr());
            float *xp = x.data_ptr<float>();
            at::parallel_for(0, x.size(0), 16, [&](std::int64_t r0, std::int64_t r1) {
                kernels::residualAddBf16(xp + r0 * C, yp + r0 * C, bias.data_ptr<float>(), r1 - r0, C);
            });
            return;
        }
        if (mixed)
            x.add_(at::mm(a, w.t()));
        else
            x.addmm_(a, w.t());
        x.add_(bias);
    };
    // On the CPU in float32, the fused kernel adds fc1's bias and applies the activation in one pass.
    const bool cpuF32 = m_device.is_cpu() && m_dtype == torch::kFloat;

    for (const Layer &l : tower.layers) {
        // Ref: CLIPEncoderLayer: x + attn(ln1(x)), then x + mlp(ln2(x)).
        auto h = gemmInput(at::layer_norm(x, {C}, l.ln1Weight, l.ln1Bias, tower.eps));
        auto qkv = at::addmm(l.qkvBias, h, l.qkvWeight.t()) // [B * T, 3C]
                       .view({B, T, 3, H, D})
                       .permute({2, 0, 3, 1, 4})
                       .contiguous()
                       .view({3, B * H, T, D});
        const auto q = qkv[0], k = qkv[1], v = qkv[2];
        auto scores = at::baddbmm(noMask, q, k.transpose(1, 2), beta, scale); // [B * H, T, T]
        auto probs = mixed ? at::softmax(scores, -1, torch::kFloat).to(m_dtype) : at::softmax(scores, -1);
        auto attn = at::bmm(probs, v).view({B, H, T, D}).permute({0, 2, 1, 3}).reshape({B * T, C});
        residualAdd(attn, l.outWeight, l.outBias);

        h = gemmInput(at::layer_norm(x, {C}, l.ln2Weight, l.ln2Bias, tower.eps));
        torch::Tensor f; // [B * T, I]
        if (cpuF32) {
            f = at::mm(h, l.fc1Weight.t());
            float *fp = f.data_ptr<float>();
            const std::int64_t I = f.size(1);
            at::parallel_for(0, f.size(0), 16, [&](std::int64_t r0, std::int64_t r1) {
                kernels::biasActF32(fp + r0 * I, r1 - r0, I, l.fc1Bias.data_ptr<float>(), kernelActivation(tower.act));
            });
        } else {
            f = at::addmm(l.fc1Bias, h, l.fc1Weight.t());
            activateInPlace(f, tower.act);
        }
        residualAdd(f, l.fc2Weight, l.fc2Bias);
    }
}

torch::Tensor ClipInference::imageEmbeddings(const torch::Tensor &pixelValues) const
{
    c10::InferenceMode guard;
    const auto &vc = m_cfg.vision_config;
    TORCH_CHECK(pixelValues.dim() == 4, "expected pixel values [B, 3, H, W], got ", pixelValues.sizes());
    if (pixelValues.size(1) != vc.num_channels || pixelValues.size(2) != vc.image_size
        || pixelValues.size(3) != vc.image_size)
        throw Error("image of " + std::to_string(pixelValues.size(2)) + "x" + std::to_string(pixelValues.size(3))
            + " pixels given to a model that takes " + std::to_string(vc.image_size) + "x"
            + std::to_string(vc.image_size) + " (check preprocessor_config.json's crop_size)");
    const std::int64_t B = pixelValues.size(0), p = vc.patch_size, g = vc.gridSize(), C = vc.hidden_size;
    const std::int64_t T = g * g + 1;

    // Ref: CLIPVisionEmbeddings: a stride-p convolution is a product with the flattened patches.
    auto pixels = pixelValues.to(m_device, m_dtype);
    auto patches = pixels.view({B, vc.num_channels, g, p, g, p})
                       .permute({0, 2, 4, 1, 3, 5})
                       .reshape({B * g * g, vc.num_channels * p * p}); // [B * P, 3 * p * p]
    auto tokens = (m_engine == Engine::OneDnn ? linearF32(patches, m_patchPacked) : linearF32(patches, m_patchWeight))
                      .view({B, g * g, C});
    auto x = at::cat({m_classEmbedding.view({1, 1, C}).expand({B, 1, C}), tokens}, 1) + m_visionPositions; // [B, T, C]
    x = at::layer_norm(x, {C}, m_preLnWeight, m_preLnBias, vc.layer_norm_eps).view({B * T, C});

    runEncoder(m_vision, x, B, T, {});

    // Ref: CLIPVisionTransformer: post_layernorm on the CLS token, then visual_projection.
    auto pooled = at::layer_norm(x.view({B, T, C}).select(1, 0), {C}, m_postLnWeight, m_postLnBias, vc.layer_norm_eps);
    auto e = linearF32(pooled, m_visualProjection);
    return e / e.norm(2, -1, true);
}

torch::Tensor ClipInference::textEmbeddings(const torch::Tensor &inputIds) const
{
    c10::InferenceMode guard;
    const auto &tc = m_cfg.text_config;
    TORCH_CHECK(inputIds.dim() == 2, "expected input ids [B, T], got ", inputIds.sizes());
    auto ids = inputIds.to(m_device, torch::kLong);
    // Ref: CLIPTextTransformer: the EOS position (legacy configs with eos_token_id 2: the
    // largest id, which is <|endoftext|>), first occurrence.
    const auto eosIndex = tc.eos_token_id == 2 ? ids.argmax(-1) : (ids == tc.eos_token_id).to(torch::kInt).argmax(-1);
    if (ids.size(1) > m_textPositions.size(0))
        throw Error("a sequence of " + std::to_string(ids.size(1))
            + " tokens is longer than the model's context length " + std::to_string(m_textPositions.size(0)));
    return textEmbeddingsFromTokens(at::embedding(m_tokenEmbedding, ids), eosIndex);
}

torch::Tensor ClipInference::textEmbeddingsFromTokens(
    const torch::Tensor &tokenEmbeds, const torch::Tensor &eosIndex) const
{
    c10::InferenceMode guard;
    const auto &tc = m_cfg.text_config;
    TORCH_CHECK(tokenEmbeds.dim() == 3 && tokenEmbeds.size(2) == tc.hidden_size, "expected token embeddings [B, T, ",
        tc.hidden_size, "], got ", tokenEmbeds.sizes());
    const std::int64_t B = tokenEmbeds.size(0), T = tokenEmbeds.size(1), C = tc.hidden_size;
    if (T > m_textPositions.size(0))
        throw Error("a sequence of " + std::to_string(T) + " tokens is longer than the model's context length "
            + std::to_string(m_textPositions.size(0)));
    TORCH_CHECK(
        eosIndex.dim() == 1 && eosIndex.size(0) == B, "expected one EOS position per row, got ", eosIndex.sizes());

    auto x = (tokenEmbeds.to(m_device, torch::kFloat) + m_textPositions.slice(0, 0, T)).view({B * T, C});
    // Causal mask only: the EOS row never sees the padding after it, so the padding mask of
    // the reference changes nothing that is pooled.
    auto mask
        = at::full({T, T}, -std::numeric_limits<float>::infinity(), x.options()).triu(1).view({1, T, T}).to(m_dtype);
    runEncoder(m_text, x, B, T, mask);

    const auto index = eosIndex.to(m_device, torch::kLong);
    auto pooled = x.view({B, T, C}).index({at::arange(B, index.options()), index}); // [B, C]
    pooled = at::layer_norm(pooled, {C}, m_finalLnWeight, m_finalLnBias, tc.layer_norm_eps);
    auto e = linearF32(pooled, m_textProjection);
    return e / e.norm(2, -1, true);
}

std::int64_t ClipInference::residentBytes(std::set<const void *> *seen) const
{
    std::vector<const torch::Tensor *> all {&m_patchWeight, &m_patchPacked.data, &m_classEmbedding, &m_visionPositions,
        &m_preLnWeight, &m_preLnBias, &m_postLnWeight, &m_postLnBias, &m_visualProjection, &m_tokenEmbedding,
        &m_textPositions, &m_finalLnWeight, &m_finalLnBias, &m_textProjection};
    for (const Tower *tower : {&m_vision, &m_text})
        for (const auto &l : tower->layers)
            for (const torch::Tensor *t : {&l.ln1Weight, &l.ln1Bias, &l.ln2Weight, &l.ln2Bias, &l.qkvWeight, &l.qkvBias,
                     &l.outWeight, &l.outBias, &l.fc1Weight, &l.fc1Bias, &l.fc2Weight, &l.fc2Bias})
                all.push_back(t);
    std::set<const void *> own;
    auto &counted = seen ? *seen : own;
    std::int64_t bytes = 0;
    for (const auto *t : all)
        if (t->defined() && counted.insert(t->storage().data()).second)
            bytes += static_cast<std::int64_t>(t->storage().nbytes());
    return bytes;
}

} // namespace ml::clip
