// The explicit CLIP path for explanations: attention probabilities per layer, their gradients
// with respect to the image-text cosine, and the fast path's embeddings for comparison.
#include "explain/clip_explainer.h"

#include "common/error.h"
#include "models/clip/clip_loader.h"
#include "models/clip/clip_runtime.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <torch/csrc/autograd/autograd.h>

#include <algorithm>
#include <numeric>
#include <set>

namespace ml::explain {

namespace fs = std::filesystem;

namespace {

torch::Tensor normalised(const torch::Tensor &e)
{
    const auto f = e.to(torch::kFloat);
    return f / f.norm(2, -1, true);
}

double maxAbsDiff(const torch::Tensor &a, const torch::Tensor &b)
{
    return (a.detach().to(torch::kCPU, torch::kFloat) - b.detach().to(torch::kCPU, torch::kFloat))
        .abs()
        .max()
        .item<double>();
}

} // namespace

ClipExplainer::ClipExplainer(clip::ClipModel model, std::shared_ptr<const text::ClipTokenizer> tokenizer,
    kernels::PreprocessParams preprocess, torch::ScalarType fastDtype, torch::Device device)
    : m_model(std::move(model))
    , m_tokenizer(std::move(tokenizer))
    , m_preprocess(preprocess)
    , m_fastDtype(fastDtype)
    , m_device(device)
{
    m_model->eval();
    // The fast path is built from the CPU float32 weights (it shares their storage there).
    m_fast = std::make_unique<clip::ClipInference>(*m_model, fastDtype, device);
    // Gradients are taken with respect to attention probabilities only; the weights need none.
    for (auto &p : m_model->parameters())
        p.set_requires_grad(false);
    m_model->to(device);
}

std::shared_ptr<ClipExplainer> ClipExplainer::load(
    const fs::path &folder, torch::ScalarType fastDtype, torch::Device device)
{
    auto loaded = clip::loadClip(folder, torch::kFloat);
    auto tokenizer = std::make_shared<const text::ClipTokenizer>(clip::loadClipTokenizer(folder));
    const auto &vc = loaded.model->config().vision_config;
    if (vc.image_size % vc.patch_size != 0)
        throw Error(folder.string() + ": vision_config.image_size " + std::to_string(vc.image_size)
            + " is not a multiple of patch_size " + std::to_string(vc.patch_size));
    return std::make_shared<ClipExplainer>(
        loaded.model, std::move(tokenizer), clip::preprocessParams(loaded.processor), fastDtype, device);
}

std::int64_t ClipExplainer::residentBytes() const
{
    std::set<const void *> seen;
    std::int64_t bytes = 0;
    for (const auto &t : m_model->parameters())
        if (seen.insert(t.storage().data()).second)
            bytes += static_cast<std::int64_t>(t.storage().nbytes());
    for (const auto &t : m_model->buffers())
        if (seen.insert(t.storage().data()).second)
            bytes += static_cast<std::int64_t>(t.storage().nbytes());
    return bytes + m_fast->residentBytes(&seen);
}

torch::Tensor ClipExplainer::cropOf(const std::uint8_t *rgb, int width, int height) const
{
    if (!rgb || width <= 0 || height <= 0)
        throw Error("empty image");
    const auto g = kernels::preprocessGeometry(height, width, m_preprocess);
    const auto S = imageSize();
    if (g.outHeight != S || g.outWidth != S)
        throw Error("the model's preprocessing gives a " + std::to_string(g.outWidth) + "x"
            + std::to_string(g.outHeight) + " image for this " + std::to_string(width) + "x" + std::to_string(height)
            + " input, but the model takes " + std::to_string(S) + "x" + std::to_string(S));
    auto crop = torch::empty({S, S, 3}, torch::kUInt8);
    kernels::resizeCropCpu(rgb, height, width, m_preprocess, crop.data_ptr<std::uint8_t>());
    return crop;
}

torch::Tensor ClipExplainer::pixelsOf(const torch::Tensor &crop) const
{
    TORCH_CHECK(
        crop.dim() == 3 && crop.size(2) == 3 && crop.scalar_type() == torch::kUInt8, "expected [S, S, 3] uint8");
    auto params = m_preprocess;
    params.doResize = false;
    params.doCrop = false;
    const auto c = crop.contiguous();
    auto pixels = torch::empty({1, 3, c.size(0), c.size(1)}, torch::kFloat);
    kernels::preprocessCpu(c.data_ptr<std::uint8_t>(), static_cast<int>(c.size(0)), static_cast<int>(c.size(1)), params,
        pixels.data_ptr<float>());
    return pixels;
}

torch::Tensor ClipExplainer::tokenIds(const std::string &text) const
{
    if (!m_tokenizer)
        throw Error("this model has no tokenizer");
    const auto ids = m_tokenizer->encode(text);
    return torch::tensor(ids, torch::kLong);
}

std::vector<std::string> ClipExplainer::tokenStrings(const torch::Tensor &ids) const
{
    std::vector<std::string> out;
    const auto c = ids.to(torch::kCPU, torch::kLong).contiguous();
    for (std::int64_t i = 0; i < c.numel(); ++i) {
        const std::int64_t id = c[i].item<std::int64_t>();
        out.push_back(
            m_tokenizer ? m_tokenizer->decode(std::span<const std::int64_t>(&id, 1), false) : std::to_string(id));
    }
    return out;
}

VisionTrace ClipExplainer::vision(const torch::Tensor &pixels) const
{
    torch::NoGradGuard noGrad;
    clip::EncoderRequest request;
    request.attentions = true;
    auto out = m_model->vision(pixels.to(m_device, torch::kFloat), request);
    VisionTrace trace;
    for (const auto &a : out.encoder.attentions)
        trace.attentions.push_back(a.select(0, 0).to(torch::kCPU, torch::kFloat));
    trace.embedding = normalised(m_model->projectImage(out.pooled)).select(0, 0).to(torch::kCPU);
    trace.fastPathMaxAbsDiff = maxAbsDiff(trace.embedding, fastImageEmbeddings(pixels).select(0, 0));
    return trace;
}

RelevanceTrace ClipExplainer::relevance(
    const torch::Tensor &pixels, const torch::Tensor &ids, std::int64_t startLayer) const
{
    TORCH_CHECK(ids.dim() == 1 && ids.numel() >= 1, "expected token ids [T]");
    c10::AutoGradMode gradMode(true);
    clip::EncoderRequest request;
    request.attentions = true;

    const auto px = pixels.to(m_device, torch::kFloat).clone().requires_grad_(true);
    auto vout = m_model->vision(px, request);
    const auto image = normalised(m_model->projectImage(vout.pooled));

    auto textModel = m_model->textModel();
    const auto T = ids.numel();
    const auto tokens
        = textModel->tokenTable().index_select(0, ids.to(m_device)).unsqueeze(0).detach().requires_grad_(true);
    const auto eos = torch::full({1}, T - 1, torch::TensorOptions().dtype(torch::kLong).device(m_device));
    auto tout = textModel->forwardEmbeds(tokens, eos, request);
    const auto text = normalised(m_model->textProjection()(tout.pooled));

    const auto score = (image * text).sum();
    std::vector<torch::Tensor> inputs;
    for (const auto &a : vout.encoder.attentions)
        inputs.push_back(a);
    for (const auto &a : tout.encoder.attentions)
        inputs.push_back(a);
    const auto grads = torch::autograd::grad({score}, inputs, {}, /*retain_graph=*/false, /*create_graph=*/false,
        /*allow_unused=*/true);

    const auto L = vout.encoder.attentions.size();
    std::vector<torch::Tensor> va, vg, ta, tg;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        auto a = inputs[i].detach().select(0, 0);
        auto g = grads[i].defined() ? grads[i].select(0, 0) : torch::zeros_like(a);
        (i < L ? va : ta).push_back(a);
        (i < L ? vg : tg).push_back(g);
    }
    RelevanceTrace r;
    r.imageRelevance = gradientRelevance(va, vg, startLayer);
    r.textRelevance = gradientRelevance(ta, tg, startLayer);
    r.eosIndex = T - 1;
    r.similarity = score.item<double>();
    const auto fastImage = fastImageEmbeddings(pixels).select(0, 0);
    const auto fastText = fastTextEmbedding(ids);
    r.fastPathMaxAbsDiff = std::max(maxAbsDiff(image.select(0, 0), fastImage), maxAbsDiff(text.select(0, 0), fastText));
    return r;
}

torch::Tensor ClipExplainer::fastImageEmbeddings(const torch::Tensor &pixels) const
{
    c10::InferenceMode guard;
    return m_fast->imageEmbeddings(pixels.to(m_device, torch::kFloat)).to(torch::kCPU, torch::kFloat);
}

torch::Tensor ClipExplainer::fastTextEmbedding(const torch::Tensor &ids) const
{
    c10::InferenceMode guard;
    return m_fast->textEmbeddings(ids.to(m_device, torch::kLong).unsqueeze(0))
        .select(0, 0)
        .to(torch::kCPU, torch::kFloat);
}

std::vector<double> deletionCurve(const ClipExplainer &explainer, const torch::Tensor &pixels,
    const torch::Tensor &textEmbedding, const std::vector<std::int64_t> &order, const torch::Tensor &fill,
    std::int64_t step)
{
    if (step <= 0)
        throw Error("deletion step must be positive, got " + std::to_string(step));
    const auto p = explainer.patchSize(), g = explainer.gridSize();
    const auto P = g * g;
    if (static_cast<std::int64_t>(order.size()) != P)
        throw Error(
            "deletion order has " + std::to_string(order.size()) + " patches, the model has " + std::to_string(P));
    auto current = pixels.to(torch::kCPU, torch::kFloat).clone().select(0, 0); // [3, S, S]
    const auto colour = fill.to(torch::kFloat).view({3, 1, 1});
    std::vector<torch::Tensor> steps {current.clone()};
    for (std::size_t k = 0; k < order.size(); ++k) {
        const auto patch = order[k];
        if (patch < 0 || patch >= P)
            throw Error("deletion order names patch " + std::to_string(patch) + " of " + std::to_string(P));
        const auto row = patch / g, col = patch % g;
        current.slice(1, row * p, (row + 1) * p).slice(2, col * p, (col + 1) * p).copy_(colour.expand({3, p, p}));
        if ((k + 1) % static_cast<std::size_t>(step) == 0 || k + 1 == order.size())
            steps.push_back(current.clone());
    }
    const auto text = textEmbedding.to(torch::kCPU, torch::kFloat).view({-1, 1});
    std::vector<double> curve;
    constexpr std::int64_t kBatch = 64;
    const auto batch = torch::stack(steps);
    for (std::int64_t start = 0; start < batch.size(0); start += kBatch) {
        const auto sims = explainer.fastImageEmbeddings(batch.slice(0, start, start + kBatch)).matmul(text).view(-1);
        for (std::int64_t i = 0; i < sims.size(0); ++i)
            curve.push_back(sims[i].item<double>());
    }
    return curve;
}

double curveArea(const std::vector<double> &curve)
{
    if (curve.size() < 2)
        return curve.empty() ? 0.0 : curve.front();
    double area = 0.0;
    for (std::size_t i = 1; i < curve.size(); ++i)
        area += (curve[i - 1] + curve[i]) / 2.0;
    return area / static_cast<double>(curve.size() - 1);
}

std::vector<std::int64_t> orderByDecreasing(const torch::Tensor &map)
{
    const auto v = map.detach().to(torch::kCPU, torch::kDouble).contiguous().view(-1);
    const auto *d = v.data_ptr<double>();
    std::vector<std::int64_t> order(static_cast<std::size_t>(v.numel()));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [d](std::int64_t a, std::int64_t b) { return d[a] > d[b]; });
    return order;
}

torch::Tensor normalisedColour(const ClipExplainer &explainer, std::uint8_t r, std::uint8_t g, std::uint8_t b)
{
    const auto crop = torch::tensor({r, g, b}, torch::kUInt8).view({1, 1, 3});
    return explainer.pixelsOf(crop).view({3});
}

} // namespace ml::explain
