// LLaVA: the vision features, the projector and the merged prompt. See llava_model.h.
#include "models/llava/llava_model.h"

#include "common/error.h"
#include "models/blip2/activation.h"

#include <torch/torch.h>

#include <algorithm>

namespace ml::llava {

LlavaProjectorImpl::LlavaProjectorImpl(const LlavaConfig &cfg) : m_act(cfg.projector_hidden_act)
{
    const auto H = cfg.text.hidden_size;
    const bool bias = cfg.multimodal_projector_bias;
    linear_1 = register_module(
        "linear_1", torch::nn::Linear(torch::nn::LinearOptions(cfg.vision.hidden_size, H).bias(bias)));
    linear_2 = register_module("linear_2", torch::nn::Linear(torch::nn::LinearOptions(H, H).bias(bias)));
}

torch::Tensor LlavaProjectorImpl::forward(const torch::Tensor &x)
{
    return linear_2(blip2::activate(linear_1(x), m_act));
}

LlavaModelImpl::LlavaModelImpl(const LlavaConfig &cfg, torch::ScalarType dtype) : m_cfg(cfg)
{
    vision_tower = register_module("vision_tower", LlavaVisionTower(cfg.vision));
    vision_tower->to(dtype);
    multi_modal_projector = register_module("multi_modal_projector", LlavaProjector(cfg));
    multi_modal_projector->to(dtype);
    language_model = register_module("language_model", LlamaForCausalLm(cfg.text, dtype));
}

ImageFeatures LlavaModelImpl::imageFeatures(const torch::Tensor &pixels, bool explicitPath)
{
    clip::EncoderRequest request;
    request.hiddenStates = true;
    request.attentions = explicitPath;
    auto v = vision_tower->vision_model(pixels, request);
    ImageFeatures out;
    const auto layer = static_cast<std::size_t>(m_cfg.featureLayer());
    auto chosen = v.encoder.hiddenStates.at(layer);
    out.selected = m_cfg.dropsCls() ? chosen.narrow(1, 1, chosen.size(1) - 1) : chosen;
    out.projected = multi_modal_projector(out.selected);
    if (explicitPath) {
        out.hidden = std::move(v.encoder.hiddenStates);
        out.attentions = std::move(v.encoder.attentions);
    }
    return out;
}

MergedPrompt LlavaModelImpl::merge(const std::vector<std::int64_t> &ids, const torch::Tensor &image)
{
    const auto V = m_cfg.text.vocab_size, token = m_cfg.image_token_index;
    std::vector<std::int64_t> text; // the ids without image tokens, each kept in place
    std::int64_t images = 0, first = -1;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (ids[i] == token) {
            if (first < 0)
                first = static_cast<std::int64_t>(i);
            ++images;
            continue;
        }
        if (ids[i] < 0 || ids[i] >= V)
            throw Error(
                "prompt token id " + std::to_string(ids[i]) + " is outside the vocabulary of " + std::to_string(V));
    }
    const auto N = image.defined() ? image.size(1) : 0;
    const auto device = language_model->headWeight().device();
    auto embed = [&](std::size_t from, std::size_t to) {
        std::vector<std::int64_t> part(
            ids.begin() + static_cast<std::ptrdiff_t>(from), ids.begin() + static_cast<std::ptrdiff_t>(to));
        auto t = torch::tensor(part, torch::TensorOptions().dtype(torch::kLong)).to(device).unsqueeze(0);
        return language_model->embedTokens(t);
    };
    MergedPrompt m;
    if (images == 0) {
        if (image.defined())
            throw Error("the prompt has no <image> token (id " + std::to_string(token) + ") for the picture");
        m.embeds = embed(0, ids.size());
        m.imageBegin = m.imageEnd = -1;
        return m;
    }
    if (!image.defined())
        throw Error("the prompt has an <image> token but no picture was given");
    const auto begin = static_cast<std::size_t>(first);
    if (images == 1) { // the reference's expansion: text, the N image rows, text
        m.embeds = torch::cat(
            {embed(0, begin), image.to(language_model->headWeight().scalar_type()), embed(begin + 1, ids.size())}, 1);
        m.imageBegin = first;
        m.imageEnd = first + N;
        return m;
    }
    const auto end = begin + static_cast<std::size_t>(images);
    const bool contiguous = std::all_of(ids.begin() + static_cast<std::ptrdiff_t>(begin),
        ids.begin() + static_cast<std::ptrdiff_t>(end), [&](std::int64_t id) { return id == token; });
    if (images != N || !contiguous)
        throw Error("the prompt has " + std::to_string(images) + " <image> tokens; one picture of " + std::to_string(N)
            + " rows needs one token or " + std::to_string(N) + " in a row");
    m.embeds = torch::cat(
        {embed(0, begin), image.to(language_model->headWeight().scalar_type()), embed(end, ids.size())}, 1);
    m.imageBegin = first;
    m.imageEnd = first + N;
    return m;
}

} // namespace ml::llava
