// Learnt (CoOp) prompts: the safetensors file with its checked metadata, and the prompt layout
// that puts context vectors between SOT and the label's tokens.
// Ref: KaiyangZhou/CoOp, trainers/coop.py, PromptLearner
#include "models/clip/clip_prompt.h"

#include "common/error.h"
#include "io/safetensors.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>

namespace ml::clip {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const fs::path &path, const std::string &problem)
{
    throw Error(path.string() + ": " + problem);
}

std::string shapeText(const torch::Tensor &t)
{
    std::string out = "[";
    for (std::int64_t d = 0; d < t.dim(); ++d)
        out += (d ? ", " : "") + std::to_string(t.size(d));
    return out + "]";
}

std::string promptName(const LearntPrompt &prompt)
{
    return prompt.file.empty() ? std::string("the learnt prompt") : prompt.file;
}

std::int64_t metaInt(
    const fs::path &path, const std::map<std::string, std::string> &meta, const std::string &key, std::int64_t fallback)
{
    const auto it = meta.find(key);
    if (it == meta.end())
        return fallback;
    try {
        std::size_t used = 0;
        const long long v = std::stoll(it->second, &used);
        if (used == it->second.size())
            return v;
    } catch (const std::exception &) { }
    fail(path, "learnt prompt metadata '" + key + "' is not an integer (\"" + it->second + "\")");
}

double metaDouble(const fs::path &path, const std::map<std::string, std::string> &meta, const std::string &key)
{
    const auto it = meta.find(key);
    if (it == meta.end())
        return -1.0;
    try {
        std::size_t used = 0;
        const double v = std::stod(it->second, &used);
        if (used == it->second.size())
            return v;
    } catch (const std::exception &) { }
    fail(path, "learnt prompt metadata '" + key + "' is not a number (\"" + it->second + "\")");
}

std::string metaString(const std::map<std::string, std::string> &meta, const std::string &key)
{
    const auto it = meta.find(key);
    return it == meta.end() ? std::string() : it->second;
}

std::string joinQuoted(const std::vector<std::string> &items, std::size_t limit = 12)
{
    std::string out;
    for (std::size_t i = 0; i < items.size() && i < limit; ++i)
        out += (i ? ", " : "") + ("'" + items[i] + "'");
    if (items.size() > limit)
        out += ", ... (" + std::to_string(items.size()) + " in all)";
    return out;
}

} // namespace

void saveLearntPrompt(const fs::path &path, const LearntPrompt &prompt)
{
    TORCH_CHECK(prompt.ctx.defined() && (prompt.ctx.dim() == 2 || prompt.ctx.dim() == 3),
        "learnt prompt ctx must be [M, D] or [C, M, D], got ", prompt.ctx.sizes());
    std::map<std::string, std::string> meta {
        {"format", kLearntPromptFormat},
        {"classes", nlohmann::json(prompt.classes).dump()},
        {"class_specific", prompt.classSpecific ? "true" : "false"},
        {"n_ctx", std::to_string(prompt.contextVectors())},
        {"width", std::to_string(prompt.width())},
        {"model", prompt.model},
        {"template", prompt.templ},
        {"init", prompt.init},
        {"shots", std::to_string(prompt.shots)},
        {"seed", std::to_string(prompt.seed)},
        {"steps", std::to_string(prompt.steps)},
    };
    if (prompt.accuracyBefore >= 0)
        meta["accuracy_before"] = nlohmann::json(prompt.accuracyBefore).dump();
    if (prompt.accuracyAfter >= 0)
        meta["accuracy_after"] = nlohmann::json(prompt.accuracyAfter).dump();
    io::saveSafetensors(path, {{"ctx", prompt.ctx.detach().to(torch::kCPU, torch::kFloat).contiguous()}}, meta);
}

LearntPrompt loadLearntPrompt(const fs::path &path)
{
    std::error_code ec;
    if (!fs::exists(path, ec))
        fail(path, "no such file (a learnt prompt is a .safetensors file written by `modallens-cli train coop`)");
    const auto file = io::SafetensorsFile::open(path); // names the file for truncated / corrupt data
    const auto &meta = file->metadata();
    const std::string format = metaString(meta, "format");
    if (format.empty())
        fail(path,
            "not a learnt prompt (no \"format\" in __metadata__; expected \"" + std::string(kLearntPromptFormat)
                + "\", as `modallens-cli train coop` writes)");
    if (format != kLearntPromptFormat)
        fail(path,
            "learnt prompt format \"" + format + "\" is not supported (expected \"" + kLearntPromptFormat + "\")");
    if (!file->contains("ctx"))
        fail(path, "learnt prompt without its tensor 'ctx'");

    LearntPrompt p;
    p.file = path.string();
    try {
        const auto classes = nlohmann::json::parse(metaString(meta, "classes"));
        p.classes = classes.get<std::vector<std::string>>();
    } catch (const std::exception &) {
        fail(path, "learnt prompt metadata 'classes' is not a JSON list of names");
    }
    if (p.classes.empty())
        fail(path, "learnt prompt with no classes");
    const std::string csc = metaString(meta, "class_specific");
    if (csc != "true" && csc != "false")
        fail(path, "learnt prompt metadata 'class_specific' must be \"true\" or \"false\" (got \"" + csc + "\")");
    p.classSpecific = csc == "true";
    p.model = metaString(meta, "model");
    p.templ = metaString(meta, "template");
    p.init = metaString(meta, "init");
    p.shots = metaInt(path, meta, "shots", 0);
    p.seed = static_cast<std::uint64_t>(metaInt(path, meta, "seed", 0));
    p.steps = metaInt(path, meta, "steps", 0);
    p.accuracyBefore = metaDouble(path, meta, "accuracy_before");
    p.accuracyAfter = metaDouble(path, meta, "accuracy_after");

    const torch::Tensor ctx = file->tensor("ctx");
    const auto expectedDim = p.classSpecific ? 3 : 2;
    if (ctx.dim() != expectedDim)
        fail(path,
            "learnt prompt 'ctx' has shape " + shapeText(ctx) + " but a "
                + (p.classSpecific ? "class-specific prompt needs [classes, n_ctx, width]"
                                   : "unified prompt needs [n_ctx, width]"));
    if (p.classSpecific && ctx.size(0) != static_cast<std::int64_t>(p.classes.size()))
        fail(path,
            "learnt prompt 'ctx' has contexts for " + std::to_string(ctx.size(0)) + " classes but "
                + std::to_string(p.classes.size()) + " class names");
    const auto nCtx = metaInt(path, meta, "n_ctx", ctx.size(-2));
    const auto width = metaInt(path, meta, "width", ctx.size(-1));
    if (nCtx != ctx.size(-2) || width != ctx.size(-1))
        fail(path,
            "learnt prompt 'ctx' has shape " + shapeText(ctx) + " but its metadata says n_ctx " + std::to_string(nCtx)
                + " and width " + std::to_string(width));
    if (ctx.size(-2) < 1 || ctx.size(-1) < 1)
        fail(path, "learnt prompt 'ctx' is empty " + shapeText(ctx));
    p.ctx = ctx.to(torch::kFloat).clone(); // off the mapping, so the file may be replaced
    if (!torch::isfinite(p.ctx).all().item<bool>())
        fail(path, "learnt prompt 'ctx' holds NaN or infinite values");

    const auto size = fs::file_size(path, ec);
    const auto mtime = fs::last_write_time(path, ec).time_since_epoch().count();
    std::error_code canonicalError;
    const auto canonical = fs::weakly_canonical(path, canonicalError);
    p.identity
        = (canonicalError ? path : canonical).string() + "|" + std::to_string(size) + "|" + std::to_string(mtime);
    return p;
}

void checkPromptWidth(const LearntPrompt &prompt, std::int64_t textWidth, const std::string &modelName)
{
    if (prompt.width() == textWidth)
        return;
    throw Error(promptName(prompt) + ": this prompt was learnt on " + (prompt.model.empty() ? "a model" : prompt.model)
        + " with text width " + std::to_string(prompt.width()) + ", but " + modelName + " has text width "
        + std::to_string(textWidth) + " (learn a prompt for this model with `modallens-cli train coop`)");
}

std::vector<std::int64_t> promptClassIndices(const LearntPrompt &prompt, const std::vector<std::string> &labels)
{
    std::vector<std::int64_t> indices;
    if (!prompt.classSpecific) {
        for (std::size_t i = 0; i < labels.size(); ++i)
            indices.push_back(static_cast<std::int64_t>(i));
        return indices;
    }
    std::vector<std::string> unknown;
    for (const auto &label : labels) {
        const auto it = std::find(prompt.classes.begin(), prompt.classes.end(), label);
        if (it == prompt.classes.end())
            unknown.push_back(label);
        else
            indices.push_back(it - prompt.classes.begin());
    }
    if (!unknown.empty())
        throw Error(promptName(prompt) + ": a class-specific prompt has context only for the classes it was learnt on ("
            + joinQuoted(prompt.classes) + "); no context for " + joinQuoted(unknown)
            + " (use those labels, or a unified prompt, learnt without --csc)");
    return indices;
}

PromptLayout::PromptLayout(const text::ClipTokenizer &tokenizer, const torch::Tensor &tokenTable,
    const std::vector<std::string> &labels, std::int64_t contextVectors, std::int64_t contextLength)
    : m_contextVectors(contextVectors)
{
    TORCH_CHECK(tokenTable.dim() == 2, "expected a token table [V, D], got ", tokenTable.sizes());
    TORCH_CHECK(contextVectors >= 1, "a prompt needs at least one context vector");
    // Each label as SOT, its tokens, ".", EOT (CoOp: prompt_prefix + " " + name + ".").
    std::vector<std::vector<std::int64_t>> rows;
    text::EncodeOptions options;
    options.truncation = false;
    for (const auto &label : labels) {
        auto ids = tokenizer.encode(label + ".", options);
        const auto needed = static_cast<std::int64_t>(ids.size()) + contextVectors;
        if (needed > contextLength)
            throw Error("the prompt for '" + label + "' needs " + std::to_string(needed) + " tokens (SOT, "
                + std::to_string(contextVectors) + " context vectors, " + std::to_string(ids.size() - 2)
                + " for the label and '.', EOT) but the model's context length is " + std::to_string(contextLength)
                + " (use fewer context vectors)");
        m_length = std::max(m_length, needed);
        rows.push_back(std::move(ids));
    }
    const auto L = static_cast<std::int64_t>(rows.size());
    const auto S = m_length - 1 - contextVectors; // suffix length
    std::vector<std::int64_t> flat(static_cast<std::size_t>(L * (1 + S)), tokenizer.padId());
    std::vector<std::int64_t> eos;
    for (std::int64_t i = 0; i < L; ++i) {
        const auto &row = rows[static_cast<std::size_t>(i)];
        // SOT, then (after the context) the label's tokens, ".", EOT and padding.
        std::copy(row.begin(), row.end(), flat.begin() + i * (1 + S));
        eos.push_back(static_cast<std::int64_t>(row.size()) - 1 + contextVectors);
    }
    const auto ids = torch::tensor(flat, torch::kLong).view({L, 1 + S});
    const auto table = tokenTable.detach();
    const auto embedded = at::embedding(table, ids.to(table.device())); // [L, 1 + S, D]
    m_prefix = embedded.slice(1, 0, 1).contiguous();
    m_suffix = embedded.slice(1, 1).contiguous();
    m_eos = torch::tensor(eos, torch::kLong).to(table.device());
}

torch::Tensor PromptLayout::embeds(const torch::Tensor &ctx) const
{
    const auto L = m_prefix.size(0), D = m_prefix.size(2);
    TORCH_CHECK((ctx.dim() == 2 || (ctx.dim() == 3 && ctx.size(0) == L)) && ctx.size(-2) == m_contextVectors
            && ctx.size(-1) == D,
        "expected context [", m_contextVectors, ", ", D, "] or [", L, ", ", m_contextVectors, ", ", D, "], got ",
        ctx.sizes());
    const auto c = ctx.dim() == 2 ? ctx.unsqueeze(0).expand({L, m_contextVectors, D}) : ctx;  // [L, M, D]
    return at::cat({m_prefix, c.to(m_prefix.device(), m_prefix.scalar_type()), m_suffix}, 1); // [L, T, D]
}

std::vector<std::int64_t> wordTokenIds(const text::ClipTokenizer &tokenizer, const std::string &words)
{
    text::EncodeOptions options;
    options.addSpecialTokens = false;
    options.truncation = false;
    return tokenizer.encode(words, options);
}

std::string tokenText(const text::ClipTokenizer &tokenizer, std::int64_t id)
{
    // The vocabulary's own spelling: byte-level BPE pieces of non-ASCII text stay as they are
    // (decoding one piece alone would give a replacement character).
    std::string token = tokenizer.idToToken(id);
    if (token.size() > 4 && token.ends_with("</w>"))
        token.resize(token.size() - 4);
    return token;
}

} // namespace ml::clip
