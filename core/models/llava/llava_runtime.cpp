// Loading a LLaVA folder and the pieces of a chat turn: preprocessing, the conversation format
// and tokenisation, the projected image features.
#include "models/llava/llava_runtime.h"

#include "common/error.h"
#include "engine/chat_service.h"
#include "engine/model_cache.h"
#include "io/checkpoint.h"
#include "models/clip/clip_runtime.h"
#include "models/lm/huge_pages.h"
#include "models/vlm_runtime_common.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

namespace fs = std::filesystem;

namespace ml::llava {

namespace {

kernels::PreprocessParams readProcessor(
    const fs::path &folder, const LlavaConfig &cfg, std::vector<std::string> &problems)
{
    clip::ClipImageProcessorConfig c;
    c.shortest_edge = c.crop_height = c.crop_width = static_cast<int>(cfg.vision.image_size);
    const fs::path file = folder / "preprocessor_config.json";
    if (fs::exists(file)) {
        try {
            c = clip::ClipImageProcessorConfig::fromJson(io::readJsonFile(file));
        } catch (const std::exception &e) {
            const std::string what = e.what();
            problems.push_back(what.rfind(file.string(), 0) == 0 ? what : file.string() + ": " + what);
        }
    }
    if (c.crop_height != cfg.vision.image_size || c.crop_width != cfg.vision.image_size)
        problems.push_back(file.string() + ": crop " + std::to_string(c.crop_height) + " x "
            + std::to_string(c.crop_width) + " does not match the vision tower's image_size "
            + std::to_string(cfg.vision.image_size));
    return clip::preprocessParams(c);
}

} // namespace

std::shared_ptr<LlavaRuntime> LlavaRuntime::load(const fs::path &folder, torch::ScalarType dtype, torch::Device device,
    const std::function<void(std::int64_t, std::int64_t)> &progress)
{
    const auto ckpt = vlm::openCheckpointOf(folder, "llava", "LLaVA");
    const auto cfg = LlavaConfig::fromJson(ckpt.config(), ckpt.configPath().string());
    auto problems = vlm::configProblems(ckpt, cfg.validate());
    std::shared_ptr<LlavaRuntime> rt(new LlavaRuntime);
    if (problems.empty())
        rt->m_preprocess = readProcessor(folder, cfg, problems);
    if (!problems.empty())
        vlm::failLoad(folder, "LLaVA", problems);

    rt->setSource(folder, dtype, device);
    rt->m_model = LlavaModel(cfg, dtype);
    rt->m_warnings = vlm::bindForInference(*rt->m_model, ckpt, folder, device, progress);
    lm::moveToHugePages(rt->m_model->languageModel()->parameters()); // decoding reads them per token
    rt->m_bytes = vlm::parameterBytes(*rt->m_model);

    if (fs::exists(folder / "tokenizer.model")) {
        rt->m_tokenizer.emplace(text::LlamaTokenizer::fromFolder(folder));
        vlm::checkTokenizerIds(folder / "tokenizer.model", rt->m_tokenizer->vocabSize() - 1, cfg.text.vocab_size);
    } else
        rt->m_tokenizerProblem = (folder / "tokenizer.model").string()
            + ": no tokenizer (the SentencePiece model is missing); only prompt ids can be given (--prompt-ids)";
    return rt;
}

const text::LlamaTokenizer &LlavaRuntime::tokenizer() const
{
    if (!m_tokenizer)
        throw Error(m_tokenizerProblem);
    return *m_tokenizer;
}

std::int64_t LlavaRuntime::eosId() const
{
    return m_tokenizer ? m_tokenizer->eosId() : config().text.eos_token_id;
}

torch::Tensor LlavaRuntime::pixels(const std::uint8_t *rgb, int h, int w) const
{
    auto out = torch::empty({1, 3, m_preprocess.cropHeight, m_preprocess.cropWidth});
    kernels::preprocessCpu(rgb, h, w, m_preprocess, out.data_ptr<float>());
    return out;
}

std::string LlavaRuntime::formatPrompt(const std::vector<ChatTurn> &history, const std::string &prompt)
{
    std::string out;
    bool first = true;
    auto user = [&](const std::string &text) {
        out += first ? "USER: <image>\n" + text : "USER: " + text;
        first = false;
    };
    for (const auto &turn : history) {
        user(turn.user);
        out += " ASSISTANT: " + turn.assistant + "</s>";
    }
    user(prompt);
    return out + " ASSISTANT:";
}

std::vector<std::int64_t> encodeConversation(const text::LlamaTokenizer &tokenizer, const std::string &text)
{
    static const std::string kEos = "</s>";
    std::vector<std::int64_t> ids;
    std::size_t start = 0;
    bool firstChunk = true;
    while (true) {
        const auto end = text.find(kEos, start);
        const auto chunk = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (!chunk.empty() || firstChunk) {
            const auto part = tokenizer.encode(chunk, firstChunk);
            ids.insert(ids.end(), part.begin(), part.end());
        }
        firstChunk = false;
        if (end == std::string::npos)
            break;
        ids.push_back(tokenizer.eosId());
        start = end + kEos.size();
    }
    return ids;
}

std::vector<std::int64_t> LlavaRuntime::encodePrompt(const std::string &text) const
{
    return encodeConversation(tokenizer(), text);
}

std::string LlavaRuntime::decode(const std::vector<std::int64_t> &ids) const
{
    if (!m_tokenizer)
        return vlm::idsText(ids);
    return m_tokenizer->decode(ids, true);
}

std::string LlavaRuntime::tokenText(std::int64_t id) const
{
    if (!m_tokenizer)
        return vlm::idText(id);
    return m_tokenizer->tokenText(id);
}

torch::Tensor LlavaRuntime::imageEmbeds(const torch::Tensor &pixels)
{
    torch::NoGradGuard noGrad;
    return m_model->imageFeatures(pixels.to(m_device, m_dtype)).projected;
}

LlavaEstimate estimateLlava(const fs::path &folder, torch::ScalarType dtype)
{
    const fs::path file = folder / "config.json";
    try {
        const auto cfg = LlavaConfig::fromJson(io::readJsonFile(file), file.string());
        const auto element = static_cast<std::int64_t>(torch::elementSize(dtype));
        const auto &t = cfg.text;
        // The KV cache is float32 on the CPU, kvHeads wide, the whole context at batch 1.
        const auto positions = std::min<std::int64_t>(t.max_position_embeddings, 2048); // a long chat
        const std::int64_t cache = 2 * t.num_hidden_layers * positions * t.kvHeads() * t.headDim() * 4;
        return {cfg.parameterCount() * element + cache, file.string()};
    } catch (const std::exception &) {
        return {0, file.string()};
    }
}

std::shared_ptr<LlavaRuntime> acquireLlavaRuntime(ModelCache &cache, const fs::path &folder, const std::string &dtype,
    const std::string &device, const std::function<void(std::int64_t, std::int64_t)> &progress)
{
    return vlm::acquireRuntime<LlavaRuntime>(cache, "llava", folder, dtype, device, progress, estimateLlava);
}

} // namespace ml::llava
