// Loading a CLIP for the service (all problems in one message, nothing half-loaded), the model
// and label-embedding caches, and batched image decoding + preprocessing on a small pool.
#include "models/clip/clip_runtime.h"

#include "common/error.h"
#include "engine/model_cache.h"
#include "engine/thread_pool.h"
#include "io/checkpoint.h"
#include "models/clip/clip_loader.h"
#ifdef MODALLENS_HAVE_MEDIA
#include "io/media.h"
#endif

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <nlohmann/json.hpp>

#include <future>
#include <latch>
#include <limits>
#include <sstream>

namespace ml::clip {

namespace fs = std::filesystem;

namespace {

std::atomic<std::int64_t> g_textHits {0}, g_textMisses {0};

// Adds an error message to a problem list, without the "<folder>: " it starts with and with a
// nested "cannot load CLIP:" list flattened, so one load error lists everything at one level.
void addProblem(std::vector<std::string> &problems, const std::string &message, const fs::path &folder)
{
    std::vector<std::string> lines;
    std::istringstream in(message);
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    if (lines.empty())
        return;
    if (const std::string prefix = folder.string() + ": "; lines.front().rfind(prefix, 0) == 0)
        lines.front().erase(0, prefix.size());
    if (lines.front() == "cannot load CLIP:") {
        for (std::size_t i = 1; i < lines.size(); ++i)
            problems.push_back(lines[i].rfind("  ", 0) == 0 ? lines[i].substr(2) : lines[i]);
        return;
    }
    std::string problem = lines.front();
    for (std::size_t i = 1; i < lines.size(); ++i)
        problem += "\n  " + lines[i];
    problems.push_back(problem);
}

std::vector<std::string> missingTokenizerFiles(const fs::path &folder)
{
    std::vector<std::string> missing;
    for (const char *name : {"vocab.json", "merges.txt"})
        if (!fs::is_regular_file(folder / name))
            missing.push_back(name);
    return missing;
}

std::string tokenizerProblem(const std::vector<std::string> &missing)
{
    std::string list;
    for (const auto &m : missing)
        list += (list.empty() ? "" : ", ") + m;
    return "missing tokenizer file" + std::string(missing.size() > 1 ? "s " : " ") + list
        + " (a CLIP folder needs vocab.json and merges.txt beside config.json)";
}

// The context length from config.json (text_config.max_position_embeddings) or OpenCLIP's config.
std::int64_t contextLength(const fs::path &folder)
{
    if (fs::is_regular_file(folder / "config.json"))
        return ClipConfig::fromJson(io::readJsonFile(folder / "config.json")).text_config.max_position_embeddings;
    if (fs::is_regular_file(folder / "open_clip_config.json"))
        return ClipConfig::fromOpenClipJson(io::readJsonFile(folder / "open_clip_config.json"))
            .text_config.max_position_embeddings;
    throw Error(folder.string() + ": not a CLIP folder (no config.json or open_clip_config.json)");
}

std::string cacheKey(const std::vector<std::string> &templates, const std::string &label)
{
    std::string key;
    for (const auto &t : templates)
        key += t + '\x1f';
    return key + '\x1e' + label;
}

std::string fillTemplate(const std::string &tmpl, const std::string &label)
{
    std::string out;
    std::size_t pos = 0;
    for (std::size_t at; (at = tmpl.find("{}", pos)) != std::string::npos; pos = at + 2)
        out += tmpl.substr(pos, at - pos) + label;
    return out + tmpl.substr(pos);
}

} // namespace

kernels::PreprocessParams preprocessParams(const ClipImageProcessorConfig &c)
{
    kernels::PreprocessParams p;
    p.shortestEdge = c.shortest_edge;
    p.cropHeight = c.crop_height;
    p.cropWidth = c.crop_width;
    p.crop = c.roundCrop ? kernels::CropRounding::Round : kernels::CropRounding::Floor;
    p.doResize = c.do_resize;
    p.doCrop = c.do_center_crop;
    p.rescale = c.do_rescale ? c.rescale_factor : 1.0;
    for (int i = 0; i < 3; ++i) {
        p.mean[i] = c.do_normalize && c.image_mean.size() == 3 ? c.image_mean[static_cast<std::size_t>(i)] : 0.0f;
        p.std[i] = c.do_normalize && c.image_std.size() == 3 ? c.image_std[static_cast<std::size_t>(i)] : 1.0f;
    }
    return p;
}

torch::ScalarType dtypeFromName(const std::string &name)
{
    if (name == "fp32")
        return torch::kFloat;
    if (name == "bf16")
        return torch::kBFloat16;
    if (name == "fp16")
        return torch::kHalf;
    throw Error("unknown dtype '" + name + "' (expected fp32, bf16 or fp16)");
}

text::ClipTokenizer loadClipTokenizer(const fs::path &folder)
{
    if (!fs::is_directory(folder))
        throw Error(folder.string() + ": no such folder");
    const auto missing = missingTokenizerFiles(folder);
    if (!missing.empty())
        throw Error(folder.string() + ": " + tokenizerProblem(missing));
    return text::ClipTokenizer::fromFolder(folder, static_cast<std::size_t>(contextLength(folder)));
}

std::shared_ptr<ClipRuntime> ClipRuntime::load(const fs::path &folder, torch::ScalarType dtype, torch::Device device)
{
    if (!fs::is_directory(folder))
        throw Error(folder.string() + ": no such folder (a CLIP model is a folder in Hugging Face layout)");
    std::vector<std::string> problems;
    std::shared_ptr<ClipRuntime> rt(new ClipRuntime);
    rt->m_folder = folder;
    rt->m_name = fs::path(folder).lexically_normal().filename().string();
    if (rt->m_name.empty())
        rt->m_name = fs::path(folder).lexically_normal().parent_path().filename().string();

    if (!fs::is_regular_file(folder / "config.json") && !fs::is_regular_file(folder / "open_clip_config.json"))
        problems.push_back(
            "not a checkpoint folder: no config.json (Hugging Face) or open_clip_config.json (OpenCLIP)");
    const auto missing = missingTokenizerFiles(folder);
    if (!missing.empty())
        problems.push_back(tokenizerProblem(missing));

    LoadedClip loaded;
    try {
        loaded = loadClip(folder, torch::kFloat); // the fast path converts what it multiplies
    } catch (const Error &e) {
        addProblem(problems, e.what(), folder);
    }

    if (missing.empty() && loaded.model) {
        try {
            rt->m_tokenizer = std::make_unique<text::ClipTokenizer>(text::ClipTokenizer::fromFolder(
                folder, static_cast<std::size_t>(loaded.model->config().text_config.max_position_embeddings)));
            const auto vocab = loaded.model->config().text_config.vocab_size;
            const auto &tok = *rt->m_tokenizer;
            const auto largest = tok.largestId();
            if (largest >= vocab)
                problems.push_back("vocab.json: the tokenizer gives ids up to " + std::to_string(largest)
                    + " but text_config.vocab_size is " + std::to_string(vocab) + " (tokenizer and weights differ)");
        } catch (const Error &e) {
            addProblem(problems, e.what(), folder);
        }
    }
    if (loaded.model) {
        const auto &vc = loaded.model->config().vision_config;
        const auto &pc = loaded.processor;
        if (pc.do_center_crop && (pc.crop_height != vc.image_size || pc.crop_width != vc.image_size))
            problems.push_back("preprocessor_config.json: crop_size " + std::to_string(pc.crop_height) + "x"
                + std::to_string(pc.crop_width) + " does not match vision_config.image_size "
                + std::to_string(vc.image_size));
    }
    if (!problems.empty()) {
        std::string msg = folder.string() + ": cannot load CLIP:";
        for (const auto &p : problems)
            msg += "\n  " + p;
        throw Error(msg);
    }

    rt->m_warnings = loaded.warnings;
    rt->m_preprocess = preprocessParams(loaded.processor);
    rt->m_inference = std::make_unique<ClipInference>(*loaded.model, dtype, device);
    return rt; // `loaded` goes now: the fast path holds what it needs
}

torch::Tensor ClipRuntime::embedTexts(
    const std::vector<std::string> &texts, int batch, const std::function<bool()> &cancelled) const
{
    c10::InferenceMode guard;
    const auto P = m_inference->config().projection_dim;
    std::vector<torch::Tensor> parts;
    for (std::size_t start = 0; start < texts.size(); start += static_cast<std::size_t>(batch)) {
        if (cancelled && cancelled())
            throw Cancelled();
        const std::vector<std::string> chunk(texts.begin() + static_cast<std::ptrdiff_t>(start),
            texts.begin()
                + static_cast<std::ptrdiff_t>(std::min(texts.size(), start + static_cast<std::size_t>(batch))));
        const auto enc = m_tokenizer->encodeBatch(chunk, text::Padding::Longest);
        const auto T = static_cast<std::int64_t>(enc.inputIds.front().size());
        auto ids = torch::empty({static_cast<std::int64_t>(chunk.size()), T}, torch::kLong);
        for (std::size_t i = 0; i < chunk.size(); ++i)
            std::copy(enc.inputIds[i].begin(), enc.inputIds[i].end(),
                ids[static_cast<std::int64_t>(i)].data_ptr<std::int64_t>());
        parts.push_back(m_inference->textEmbeddings(ids));
    }
    if (parts.empty())
        return torch::empty({0, P}, torch::TensorOptions().device(m_inference->device()));
    return parts.size() == 1 ? parts.front() : at::cat(parts);
}

torch::Tensor ClipRuntime::embedPixels(const torch::Tensor &pixelValues) const
{
    return m_inference->imageEmbeddings(pixelValues);
}

std::vector<std::size_t> ClipRuntime::lookupTextCache(
    const std::vector<std::string> &keys, std::vector<torch::Tensor> &rows)
{
    std::vector<std::size_t> uncached;
    std::lock_guard lock(m_textMutex);
    for (std::size_t i = 0; i < keys.size(); ++i) {
        const auto it = keys[i].empty() ? m_textCache.end() : m_textCache.find(keys[i]);
        if (it != m_textCache.end()) {
            rows[i] = it->second;
            g_textHits.fetch_add(1);
        } else {
            uncached.push_back(i);
            g_textMisses.fetch_add(1);
        }
    }
    return uncached;
}

torch::Tensor ClipRuntime::labelEmbeddings(const std::vector<std::string> &labels,
    const std::vector<std::string> &templates, const std::function<bool()> &cancelled)
{
    c10::InferenceMode guard;
    if (templates.empty())
        throw Error("no prompt template given (e.g. \"a photo of a {}.\")");
    for (const auto &t : templates)
        if (t.find("{}") == std::string::npos)
            throw Error("prompt template \"" + t + "\" has no {} where the label goes");

    std::vector<std::string> keys;
    for (const auto &label : labels)
        keys.push_back(cacheKey(templates, label));
    std::vector<torch::Tensor> rows(labels.size());
    const auto uncached = lookupTextCache(keys, rows); // labels whose text embedding must be computed
    if (!uncached.empty()) {
        std::vector<std::string> texts;
        for (const auto i : uncached)
            for (const auto &t : templates)
                texts.push_back(fillTemplate(t, labels[i]));
        const auto T = static_cast<std::int64_t>(templates.size());
        auto e
            = embedTexts(texts, 64, cancelled).view({static_cast<std::int64_t>(uncached.size()), T, -1}); // [L, T, P]
        auto mean = e.mean(1);
        mean = mean / mean.norm(2, -1, true);
        std::lock_guard lock(m_textMutex);
        for (std::size_t j = 0; j < uncached.size(); ++j) {
            rows[uncached[j]] = mean[static_cast<std::int64_t>(j)].clone();
            m_textCache[keys[uncached[j]]] = rows[uncached[j]];
        }
    }
    if (rows.empty())
        return torch::empty({0, m_inference->config().projection_dim});
    return at::stack(rows);
}

torch::Tensor ClipRuntime::promptEmbeddings(
    const std::vector<std::string> &labels, const LearntPrompt &prompt, const std::function<bool()> &cancelled)
{
    c10::InferenceMode guard;
    const auto &tc = m_inference->config().text_config;
    checkPromptWidth(prompt, tc.hidden_size, m_name);
    const auto classIndex = promptClassIndices(prompt, labels);
    const std::string keyPrefix = "\x1d" + prompt.identity + "\x1f";
    const bool cacheable = !prompt.identity.empty();

    std::vector<std::string> keys;
    for (const auto &label : labels)
        keys.push_back(cacheable ? keyPrefix + label : std::string());
    std::vector<torch::Tensor> rows(labels.size());
    const auto uncached = lookupTextCache(keys, rows);
    constexpr std::size_t kBatch = 64;
    for (std::size_t start = 0; start < uncached.size(); start += kBatch) {
        if (cancelled && cancelled())
            throw Cancelled();
        const std::size_t end = std::min(uncached.size(), start + kBatch);
        std::vector<std::string> chunk;
        std::vector<std::int64_t> chunkClasses;
        for (std::size_t j = start; j < end; ++j) {
            chunk.push_back(labels[uncached[j]]);
            chunkClasses.push_back(classIndex[uncached[j]]);
        }
        const PromptLayout layout(
            *m_tokenizer, m_inference->tokenTable(), chunk, prompt.contextVectors(), tc.max_position_embeddings);
        // [n, M, D] one context per label, or [M, D] shared by all.
        const auto ctx
            = prompt.classSpecific ? prompt.ctx.index_select(0, torch::tensor(chunkClasses, torch::kLong)) : prompt.ctx;
        const auto e = m_inference->textEmbeddingsFromTokens(layout.embeds(ctx), layout.eosIndex()); // [n, P]
        std::lock_guard lock(m_textMutex);
        for (std::size_t j = start; j < end; ++j) {
            rows[uncached[j]] = e[static_cast<std::int64_t>(j - start)].clone();
            if (cacheable)
                m_textCache[keys[uncached[j]]] = rows[uncached[j]];
        }
    }
    if (rows.empty())
        return torch::empty({0, m_inference->config().projection_dim});
    return at::stack(rows);
}

// --- the model cache ----------------------------------------------------------------------

std::int64_t estimateRuntimeBytes(const ClipConfig &c, torch::ScalarType dtype)
{
    const auto &v = c.vision_config;
    const auto &t = c.text_config;
    const auto d = [](std::int64_t x) { return static_cast<double>(std::max<std::int64_t>(x, 0)); };
    const double P = d(c.projection_dim);
    // Per layer: fused q/k/v, out, fc1, fc2 in the compute dtype; norms and residual biases float32.
    const auto layerGemm = [&](double C, double I) { return 3 * C * C + 3 * C + C * C + I * C + I + C * I; };
    const auto layerF32 = [&](double C) { return 6 * C; };
    const double Cv = d(v.hidden_size), Iv = d(v.intermediate_size), Lv = d(v.num_hidden_layers);
    const double Ct = d(t.hidden_size), It = d(t.intermediate_size), Lt = d(t.num_hidden_layers);
    const double grid = v.patch_size > 0 ? d(v.image_size / v.patch_size) : 0.0;
    const double gemm = Cv * d(v.num_channels) * d(v.patch_size) * d(v.patch_size) + Lv * layerGemm(Cv, Iv) + P * Cv
        + Lt * layerGemm(Ct, It) + P * Ct;
    const double f32 = Cv + (grid * grid + 1) * Cv + 4 * Cv + Lv * layerF32(Cv) + d(t.vocab_size) * Ct
        + d(t.max_position_embeddings) * Ct + 2 * Ct + Lt * layerF32(Ct);
    const double bytes = gemm * static_cast<double>(c10::elementSize(dtype)) + f32 * 4.0;
    return bytes >= 4e18 ? std::numeric_limits<std::int64_t>::max() : static_cast<std::int64_t>(bytes);
}

ModelEstimate estimateRuntime(const fs::path &folder, torch::ScalarType dtype)
{
    for (const char *name : {"config.json", "open_clip_config.json"}) {
        const fs::path file = folder / name;
        if (!fs::is_regular_file(file))
            continue;
        ClipConfig config;
        try {
            const auto j = io::readJsonFile(file);
            config = name == std::string("config.json") ? ClipConfig::fromJson(j) : ClipConfig::fromOpenClipJson(j);
        } catch (const std::exception &) {
            return {0, file.string()}; // the load reports what is wrong with it
        }
        return {estimateRuntimeBytes(config, dtype), file.string()};
    }
    return {0, (folder / "config.json").string()};
}

std::shared_ptr<ClipRuntime> acquireClipRuntime(
    ModelCache &cache, const fs::path &folder, const std::string &dtype, const std::string &device)
{
    const auto type = dtypeFromName(dtype);
    const auto estimate = estimateRuntime(folder, type);
    return cache.acquire<ClipRuntime>(
        makeModelKey("clip", folder.string(), dtype, device), estimate.bytes, estimate.configFile, [&] {
            auto rt = ClipRuntime::load(folder, type, torch::Device(device));
            const auto bytes = rt->inference().residentBytes();
            return ModelCache::Loaded {std::move(rt), bytes};
        });
}

ClipTextCounters clipTextCounters()
{
    return {g_textHits.load(), g_textMisses.load()};
}

// --- images -------------------------------------------------------------------------------

#ifdef MODALLENS_HAVE_MEDIA
namespace {

// An image, or a video's frame at the middle of its duration (frameTimeS: that frame's time): one
// frame away from both ends, where a clip's fades and titles are, and cheaper than several frames.
io::RgbImage loadStill(const std::string &file, double &frameTimeS)
{
    if (io::guessMediaKind(file) != io::MediaKind::Video)
        return io::loadImage(file);
    io::VideoDecoder video(file);
    io::VideoFrame frame = video.frameAt(video.info().durationS / 2.0);
    frameTimeS = frame.timeS;
    return std::move(frame.image);
}

} // namespace
#endif

PixelBatch preprocessFiles(const std::vector<std::string> &files, const kernels::PreprocessParams &params,
    std::int64_t imageSize, ThreadPool &pool, const std::function<bool()> &cancelled)
{
    const auto n = static_cast<std::int64_t>(files.size());
    PixelBatch out {torch::zeros({n, 3, imageSize, imageSize}), std::vector<std::string>(files.size()),
        std::vector<double>(files.size(), -1.0)};
    float *base = out.pixels.data_ptr<float>();
    const std::size_t plane = static_cast<std::size_t>(3 * imageSize * imageSize);
    std::latch done(n);
    for (std::size_t i = 0; i < files.size(); ++i)
        pool.post([&, i] {
            try {
                if (cancelled && cancelled())
                    throw Cancelled();
#ifdef MODALLENS_HAVE_MEDIA
                const io::RgbImage img = loadStill(files[i], out.frameTimes[i]);
                const auto g = kernels::preprocessGeometry(img.height, img.width, params);
                if (g.outHeight != imageSize || g.outWidth != imageSize)
                    throw Error(files[i] + ": preprocessing gives " + std::to_string(g.outHeight) + "x"
                        + std::to_string(g.outWidth) + " pixels but the model takes " + std::to_string(imageSize) + "x"
                        + std::to_string(imageSize));
                kernels::preprocessCpu(img.pixels.data(), img.height, img.width, params, base + i * plane);
#else
                (void)base;
                (void)plane;
                (void)params;
                throw Error(files[i] + ": this build cannot decode images (configured with MODALLENS_MEDIA=OFF)");
#endif
            } catch (const Cancelled &) {
                out.errors[i] = "cancelled";
            } catch (const std::exception &e) {
                // Name the file as the caller gave it, once (media errors already start with it).
                const std::string what = e.what();
                out.errors[i] = what.rfind(files[i] + ": ", 0) == 0 ? what : files[i] + ": " + what;
            }
            done.count_down();
        });
    done.wait();
    if (cancelled && cancelled())
        throw Cancelled();
    return out;
}

} // namespace ml::clip
