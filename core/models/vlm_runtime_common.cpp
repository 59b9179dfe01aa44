// What the BLIP-2 and LLaVA runtimes share (see vlm_runtime_common.h).
#include "models/vlm_runtime_common.h"

#include "common/error.h"

#include <torch/nn/module.h>

namespace fs = std::filesystem;

namespace ml::vlm {

io::Checkpoint openCheckpointOf(const fs::path &folder, const char *family, const char *name)
{
    auto ckpt = io::Checkpoint::open(folder);
    if (ckpt.family() != family)
        throw Error(folder.string() + ": not a " + name + " checkpoint (config.json says '"
            + (ckpt.family().empty() ? std::string("nothing") : ckpt.family()) + "')");
    return ckpt;
}

std::vector<std::string> configProblems(const io::Checkpoint &ckpt, const std::vector<std::string> &problems)
{
    std::vector<std::string> out;
    for (const auto &p : problems)
        out.push_back(ckpt.configPath().string() + ": " + p);
    return out;
}

void failLoad(const fs::path &folder, const char *name, const std::vector<std::string> &problems)
{
    std::string msg = folder.string() + ": cannot load " + name;
    msg += ':';
    for (const auto &p : problems)
        msg += "\n  " + p;
    throw Error(msg);
}

std::vector<std::string> bindForInference(torch::nn::Module &module, const io::Checkpoint &ckpt, const fs::path &folder,
    torch::Device device, const LoadProgress &progress)
{
    io::LoadReport report;
    io::BindOptions options;
    options.progress = progress;
    io::bindParameters(module, ckpt, options, report);
    report.throwIfFailed(folder.string());
    std::vector<std::string> warnings;
    for (const auto &key : report.unexpected)
        warnings.push_back("unused weight '" + key + "'");
    for (auto &w : report.nonFiniteWarnings())
        warnings.push_back(std::move(w));
    module.to(device);
    module.eval();
    return warnings;
}

void checkTokenizerIds(const fs::path &tokenizerFile, std::int64_t largestId, std::int64_t vocabSize)
{
    if (largestId >= vocabSize)
        throw Error(tokenizerFile.string() + ": the tokenizer gives ids up to " + std::to_string(largestId)
            + " but the language model's vocab_size is " + std::to_string(vocabSize)
            + " (tokenizer and weights do not belong together)");
}

std::int64_t parameterBytes(const torch::nn::Module &module)
{
    std::int64_t bytes = 0;
    for (const auto &p : module.parameters())
        bytes += p.numel() * static_cast<std::int64_t>(p.element_size());
    return bytes;
}

std::string idText(std::int64_t id)
{
    std::string out = std::to_string(id);
    out.insert(out.begin(), '<');
    out.push_back('>');
    return out;
}

std::string idsText(const std::vector<std::int64_t> &ids)
{
    std::string out;
    for (auto id : ids) {
        if (!out.empty())
            out += ' ';
        out += idText(id);
    }
    return out;
}

} // namespace ml::vlm
