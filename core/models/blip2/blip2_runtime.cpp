// Loading a BLIP-2 folder and the pieces of a chat turn: preprocessing, the prompt format and
// tokenisation, the soft prompt of the image.
#include "models/blip2/blip2_runtime.h"

#include "common/error.h"
#include "engine/chat_service.h"
#include "engine/model_cache.h"
#include "io/checkpoint.h"
#include "models/lm/huge_pages.h"
#include "models/vlm_runtime_common.h"
#include "preprocess.h"

#include <torch/torch.h>

namespace fs = std::filesystem;

namespace ml::blip2 {

torch::Tensor Blip2ImageProcessor::operator()(const std::uint8_t *rgb, int h, int w) const
{
    std::vector<std::uint8_t> resized(static_cast<std::size_t>(height) * width * 3);
    kernels::resizeBicubicPil(rgb, h, w, resized.data(), height, width, 3);
    auto out = torch::empty({1, 3, height, width});
    float *o = out.data_ptr<float>();
    const std::size_t plane = static_cast<std::size_t>(height) * width;
    for (int c = 0; c < 3; ++c) {
        float table[256];
        for (int u = 0; u < 256; ++u) // as HF: rescale in float64, cast, then normalise in float32
            table[u] = (static_cast<float>(u * rescale) - mean[c]) / std[c];
        for (std::size_t i = 0; i < plane; ++i)
            o[c * plane + i] = table[resized[i * 3 + c]];
    }
    return out;
}

namespace {

Blip2ImageProcessor readProcessor(const fs::path &folder, const Blip2Config &cfg, std::vector<std::string> &problems)
{
    Blip2ImageProcessor p;
    p.height = p.width = static_cast<int>(cfg.vision.image_size);
    const fs::path file = folder / "preprocessor_config.json";
    if (!fs::exists(file))
        return p; // the vision config's size and the CLIP statistics, as BlipImageProcessor's defaults
    try {
        const auto j = io::readJsonFile(file);
        if (j.contains("size") && j["size"].is_object()) {
            p.height = j["size"].value("height", p.height);
            p.width = j["size"].value("width", p.width);
        }
        p.rescale = j.value("rescale_factor", p.rescale);
        for (int c = 0; c < 3; ++c) {
            if (j.contains("image_mean") && j["image_mean"].size() == 3)
                p.mean[c] = j["image_mean"][c].get<float>();
            if (j.contains("image_std") && j["image_std"].size() == 3)
                p.std[c] = j["image_std"][c].get<float>();
        }
        if (p.height <= 0 || p.width <= 0 || p.height > 4096 || p.width > 4096)
            problems.push_back(file.string() + ": image size " + std::to_string(p.height) + " x "
                + std::to_string(p.width) + " is not usable");
    } catch (const std::exception &e) {
        const std::string what = e.what();
        problems.push_back(what.rfind(file.string(), 0) == 0 ? what : file.string() + ": " + what);
    }
    return p;
}

} // namespace

std::shared_ptr<Blip2Runtime> Blip2Runtime::load(const fs::path &folder, torch::ScalarType dtype, torch::Device device,
    const std::function<void(std::int64_t, std::int64_t)> &progress)
{
    const auto ckpt = vlm::openCheckpointOf(folder, "blip-2", "BLIP-2");
    const auto cfg = Blip2Config::fromJson(ckpt.config(), ckpt.configPath().string());
    auto problems = vlm::configProblems(ckpt, cfg.validate());
    std::shared_ptr<Blip2Runtime> rt(new Blip2Runtime);
    rt->m_processor = readProcessor(folder, cfg, problems);
    if (!problems.empty())
        vlm::failLoad(folder, "BLIP-2", problems);

    rt->setSource(folder, dtype, device);
    rt->m_model = Blip2Model(cfg, dtype);
    rt->m_warnings = vlm::bindForInference(*rt->m_model, ckpt, folder, device, progress);
    lm::moveToHugePages(rt->m_model->languageModel()->parameters()); // decoding reads them per token
    rt->m_bytes = vlm::parameterBytes(*rt->m_model);

    if (fs::exists(folder / "vocab.json") && fs::exists(folder / "merges.txt")) {
        rt->m_tokenizer.emplace(text::Gpt2Tokenizer::fromFolder(folder));
        vlm::checkTokenizerIds(folder / "vocab.json", rt->m_tokenizer->largestId(), rt->config().text.vocab_size);
    } else
        rt->m_tokenizerProblem = folder.string()
            + ": no tokenizer (vocab.json and merges.txt are missing); "
              "only prompt ids can be given (--prompt-ids)";
    return rt;
}

const text::Gpt2Tokenizer &Blip2Runtime::tokenizer() const
{
    if (!m_tokenizer)
        throw Error(m_tokenizerProblem);
    return *m_tokenizer;
}

std::string Blip2Runtime::formatPrompt(const std::vector<ChatTurn> &history, const std::string &prompt)
{
    std::string out;
    for (const auto &turn : history) {
        std::string answer = turn.assistant;
        if (!answer.empty() && answer.back() != '.' && answer.back() != '?' && answer.back() != '!')
            answer += '.';
        out += "Question: " + turn.user + " Answer: " + answer + " ";
    }
    return out + "Question: " + prompt + " Answer:";
}

std::vector<std::int64_t> Blip2Runtime::encodePrompt(const std::string &text) const
{
    auto ids = tokenizer().encode(text);
    const auto bos = config().text.bos_token_id;
    if (ids.empty() || ids.front() != bos)
        ids.insert(ids.begin(), bos);
    return ids;
}

std::string Blip2Runtime::decode(const std::vector<std::int64_t> &ids) const
{
    if (!m_tokenizer)
        return vlm::idsText(ids);
    return m_tokenizer->decode(ids, true, true);
}

std::string Blip2Runtime::tokenText(std::int64_t id) const
{
    if (!m_tokenizer)
        return vlm::idText(id);
    const std::vector<std::int64_t> one {id};
    return m_tokenizer->decode(one, false, false);
}

torch::Tensor Blip2Runtime::queryEmbeds(const torch::Tensor &pixels)
{
    torch::NoGradGuard noGrad;
    auto image = m_model->imageEmbeds(pixels.to(m_device, m_dtype));
    return m_model->projectQueries(m_model->queryOutputs(image).lastHiddenState);
}

torch::Tensor Blip2Runtime::promptEmbeds(const torch::Tensor &queries, const std::vector<std::int64_t> &ids)
{
    torch::NoGradGuard noGrad;
    for (auto id : ids)
        if (id < 0 || id >= config().text.vocab_size)
            throw Error("prompt token id " + std::to_string(id) + " is outside the vocabulary of "
                + std::to_string(config().text.vocab_size));
    auto t = torch::tensor(ids, torch::TensorOptions().dtype(torch::kLong)).to(m_device).unsqueeze(0);
    return torch::cat({queries, m_model->embedTokens(t)}, 1);
}

Blip2Estimate estimateBlip2(const fs::path &folder, torch::ScalarType dtype)
{
    const fs::path file = folder / "config.json";
    try {
        const auto cfg = Blip2Config::fromJson(io::readJsonFile(file), file.string());
        const auto element = static_cast<std::int64_t>(torch::elementSize(dtype));
        // Weights, plus a KV cache of the whole context at batch 1 and the activations of a prefill.
        const auto &t = cfg.text;
        const std::int64_t cache = 2 * t.num_hidden_layers * t.max_position_embeddings * t.hidden_size * element;
        return {cfg.parameterCount() * element + cache, file.string()};
    } catch (const std::exception &) {
        return {0, file.string()};
    }
}

namespace {

std::vector<float> toVector(const torch::Tensor &t)
{
    const auto c = t.to(torch::kFloat).contiguous();
    return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

} // namespace

QFormerResult inspectQFormer(Blip2Runtime &rt, const torch::Tensor &pixels)
{
    torch::NoGradGuard noGrad;
    auto &model = rt.model();
    const auto vision = model->vision(pixels.to(rt.device(), rt.dtype()), true);
    const auto &image = vision.lastHiddenState;
    const auto q = model->queryOutputs(image, true);
    const auto &cfg = rt.config();
    QFormerResult r;
    r.queries = static_cast<int>(cfg.num_query_tokens);
    r.layers = static_cast<int>(cfg.qformer.num_hidden_layers);
    r.crossLayers = model->qformerModel()->crossLayers();
    r.heads = static_cast<int>(cfg.qformer.num_attention_heads);
    r.patches = static_cast<int>(image.size(1));
    r.hasCls = true;
    r.gridH = r.gridW = static_cast<int>(cfg.vision.gridSize());
    if (!q.crossAttentions.empty())
        r.crossAttentions = toVector(torch::stack(q.crossAttentions).select(1, 0)); // [L, heads, Q, P]
    r.selfAttentions = toVector(torch::stack(q.selfAttentions).select(1, 0));
    const auto e = torch::nn::functional::normalize(
        q.lastHiddenState[0].to(torch::kFloat), torch::nn::functional::NormalizeFuncOptions().dim(1));
    r.similarity = toVector(e.matmul(e.t()));
    // Rollout: R = prod over layers of normalise(0.5 * mean_heads(A) + 0.5 * I).
    const auto T = image.size(1);
    auto rollout = torch::eye(T, torch::kFloat);
    for (const auto &a : vision.attentions) {
        auto m = 0.5 * a[0].to(torch::kFloat).mean(0) + 0.5 * torch::eye(T, torch::kFloat);
        m = m / m.sum(-1, true);
        rollout = m.matmul(rollout);
    }
    r.visionRollout = toVector(rollout);
    return r;
}

std::shared_ptr<Blip2Runtime> acquireBlip2Runtime(ModelCache &cache, const fs::path &folder, const std::string &dtype,
    const std::string &device, const std::function<void(std::int64_t, std::int64_t)> &progress)
{
    return vlm::acquireRuntime<Blip2Runtime>(cache, "blip-2", folder, dtype, device, progress, estimateBlip2);
}

} // namespace ml::blip2
