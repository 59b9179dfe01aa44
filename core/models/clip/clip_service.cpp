// The CLIP service of core/engine/clip_service.h: device and dtype policy, and the classify,
// evaluate, embed and tokenize jobs over the cached runtimes of clip_runtime.h.
#include "engine/clip_service.h"

#include "common/error.h"
#include "engine/model_cache.h"
#include "engine/thread_pool.h"
#include "models/clip/clip_batches.h"
#include "models/clip/clip_runtime.h"
#ifdef MODALLENS_HAVE_MEDIA
#include "io/media.h"
#endif

#include <ATen/ATen.h>
#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <filesystem>
#include <future>
#include <numeric>

namespace ml {

namespace fs = std::filesystem;

ClipCacheStats clipCacheStats(const ModelCache &models)
{
    const auto m = models.status();
    const auto t = clip::clipTextCounters();
    return {m.loads, m.hits, t.textHits, t.textMisses};
}

// --- jobs ---------------------------------------------------------------------------------

namespace {

struct Session {
    std::shared_ptr<clip::ClipRuntime> rt;
    std::string device, dtype;
};

Session openSession(const std::string &model, const ComputeOptions &compute, JobContext &ctx)
{
    at::get_num_threads(); // this worker thread takes the engine's thread count (OpenMP is per thread)
    Session s;
    s.device = resolveDevice(compute);
    s.dtype = resolveDtype(compute);
    ctx.report(0, 0, "loading model");
    const std::string folder = resolveModelPath(model);
    s.rt = clip::acquireClipRuntime(ctx.models(), folder, s.dtype, s.device);
    ctx.warn(folder, s.rt->warnings());
    return s;
}

// clip::embedImageFiles with the job's progress (files done) under stage.
template<class OnBatch>
void embedImageFiles(const clip::ClipRuntime &rt, const std::vector<std::string> &files, int batchSize, JobContext &ctx,
    const std::string &stage, OnBatch onBatch, std::vector<double> *frameTimes = nullptr)
{
    const auto total = static_cast<std::int64_t>(files.size());
    ctx.report(0, total, stage);
    clip::embedImageFiles(
        rt, files, batchSize, [&ctx] { return ctx.isCancelled(); },
        [&](std::size_t first, const std::vector<std::string> &errors, const torch::Tensor &embeddings) {
            onBatch(first, errors, embeddings);
            ctx.report(static_cast<std::int64_t>(first + errors.size()), total, stage);
        },
        frameTimes);
}

std::vector<float> rowToVector(const torch::Tensor &row)
{
    const auto r = row.to(torch::kCPU, torch::kFloat).contiguous();
    return {r.data_ptr<float>(), r.data_ptr<float>() + r.numel()};
}

// Scores every file against the label embeddings; onImage(index, scores) in file order.
template<class OnImage>
double scoreFiles(const clip::ClipRuntime &rt, const std::vector<std::string> &files,
    const std::vector<std::string> &labels, const torch::Tensor &labelEmbeddings, int batchSize, JobContext &ctx,
    OnImage onImage)
{
    c10::InferenceMode guard;
    const double scale = rt.inference().logitScale();
    const auto text = labelEmbeddings.to(torch::kCPU);
    std::vector<double> frameTimes;
    embedImageFiles(
        rt, files, batchSize, ctx, "classifying",
        [&](std::size_t first, const std::vector<std::string> &errors, const torch::Tensor &embeddings) {
            torch::Tensor logits, probs;
            if (embeddings.defined()) {
                logits = (embeddings.matmul(text.t()) * scale).contiguous(); // [k, L]
                probs = at::softmax(logits, -1).contiguous();
            }
            std::int64_t row = 0;
            for (std::size_t i = 0; i < errors.size(); ++i) {
                ImageScores s;
                s.file = files[first + i];
                s.frameS = frameTimes[first + i];
                if (!errors[i].empty()) {
                    s.error = errors[i];
                } else {
                    const float *p = probs[row].data_ptr<float>();
                    const float *l = logits[row].data_ptr<float>();
                    for (std::size_t j = 0; j < labels.size(); ++j)
                        s.scores.push_back({labels[j], p[j], l[j]});
                    std::stable_sort(s.scores.begin(), s.scores.end(),
                        [](const LabelScore &a, const LabelScore &b) { return a.prob > b.prob; });
                    ++row;
                }
                onImage(first + i, std::move(s));
            }
        },
        &frameTimes);
    return scale;
}

// The label rows for a request: from its learnt prompt when it names one, else its templates.
torch::Tensor labelRows(clip::ClipRuntime &rt, const std::vector<std::string> &labels,
    const std::vector<std::string> &templates, const std::string &learntPrompt, JobContext &ctx)
{
    const auto cancelled = [&ctx] { return ctx.isCancelled(); };
    if (learntPrompt.empty())
        return rt.labelEmbeddings(labels, templates, cancelled);
    return rt.promptEmbeddings(labels, clip::loadLearntPrompt(learntPrompt), cancelled);
}

void checkLabels(const std::vector<std::string> &labels)
{
    if (labels.empty())
        throw Error("no labels to classify with (give at least one, e.g. \"cat;dog\")");
    for (const auto &l : labels)
        if (l.empty())
            throw Error("an empty label was given (check for a stray ';')");
}

ClassifyResult runClassify(const ClassifyRequest &req, JobContext &ctx)
{
    checkLabels(req.labels);
    Session s = openSession(req.model, req.compute, ctx);
    ClassifyResult result;
    result.modelName = s.rt->name();
    result.dtype = s.dtype;
    result.device = s.device;
    ctx.report(0, static_cast<std::int64_t>(req.images.size()), "encoding labels");
    const auto text = labelRows(*s.rt, req.labels, req.templates, req.learntPrompt, ctx);
    result.images.resize(req.images.size());
    result.logitScale
        = scoreFiles(*s.rt, req.images, req.labels, text, req.batchSize, ctx, [&](std::size_t i, ImageScores scores) {
              ctx.partial(kImageScoresPartial, scores);
              result.images[i] = std::move(scores);
          });
    return result;
}

std::string classNameToLabel(std::string name)
{
    std::replace(name.begin(), name.end(), '_', ' ');
    return name;
}

EvaluateResult runEvaluate(const EvaluateRequest &req, JobContext &ctx)
{
    const fs::path root(req.folder);
    if (!fs::is_directory(root))
        throw Error(req.folder + ": no such folder (expected one sub-folder of images per class)");
    std::vector<fs::path> classDirs;
    for (const auto &entry : fs::directory_iterator(root))
        if (entry.is_directory() && entry.path().filename().string().front() != '.')
            classDirs.push_back(entry.path());
    std::sort(classDirs.begin(), classDirs.end());
    if (classDirs.empty())
        throw Error(req.folder + ": no class sub-folders (expected one folder of images per class, named after it)");

    EvaluateResult result;
    std::vector<std::string> files;
    std::vector<int> truth;
    for (std::size_t c = 0; c < classDirs.size(); ++c) {
        result.classes.push_back(classNameToLabel(classDirs[c].filename().string()));
        std::vector<std::string> inClass;
        for (const auto &entry : fs::directory_iterator(classDirs[c])) {
#ifdef MODALLENS_HAVE_MEDIA
            if (entry.is_regular_file() && io::guessMediaKind(entry.path()) == io::MediaKind::Image)
                inClass.push_back(entry.path().string());
#else
            if (entry.is_regular_file())
                inClass.push_back(entry.path().string());
#endif
        }
        std::sort(inClass.begin(), inClass.end());
        for (auto &f : inClass) {
            files.push_back(std::move(f));
            truth.push_back(static_cast<int>(c));
        }
    }
    if (files.empty())
        throw Error(req.folder + ": the class folders hold no images");

    Session s = openSession(req.model, req.compute, ctx);
    ctx.report(0, static_cast<std::int64_t>(files.size()), "encoding labels");
    const auto text = labelRows(*s.rt, result.classes, req.templates, req.learntPrompt, ctx);
    const std::size_t C = result.classes.size();
    result.confusion.assign(C, std::vector<int>(C, 0));
    result.images.resize(files.size());
    result.logitScale
        = scoreFiles(*s.rt, files, result.classes, text, req.batchSize, ctx, [&](std::size_t i, ImageScores scores) {
              scores.truth = truth[i];
              if (scores.error.empty()) {
                  const auto &top = scores.scores.front().label;
                  const auto predicted = static_cast<std::size_t>(
                      std::find(result.classes.begin(), result.classes.end(), top) - result.classes.begin());
                  result.confusion[static_cast<std::size_t>(truth[i])][predicted] += 1;
              }
              ctx.partial(kImageScoresPartial, scores);
              result.images[i] = std::move(scores);
          });
    int correct = 0, counted = 0;
    for (std::size_t t = 0; t < C; ++t) {
        const int inClass = std::accumulate(result.confusion[t].begin(), result.confusion[t].end(), 0);
        result.perClassAccuracy.push_back(inClass > 0 ? static_cast<double>(result.confusion[t][t]) / inClass : 0.0);
        correct += result.confusion[t][t];
        counted += inClass;
    }
    result.accuracy = counted > 0 ? static_cast<double>(correct) / counted : 0.0;
    return result;
}

EmbedResult runEmbedImages(
    const std::string &model, const std::vector<std::string> &images, const ComputeOptions &compute, JobContext &ctx)
{
    Session s = openSession(model, compute, ctx);
    EmbedResult result;
    result.dtype = s.dtype;
    result.embeddings.resize(images.size());
    result.errors.resize(images.size());
    embedImageFiles(*s.rt, images, 32, ctx, "embedding",
        [&](std::size_t first, const std::vector<std::string> &errors, const torch::Tensor &embeddings) {
            std::int64_t row = 0;
            for (std::size_t i = 0; i < errors.size(); ++i) {
                if (!errors[i].empty())
                    result.errors[first + i] = errors[i];
                else
                    result.embeddings[first + i] = rowToVector(embeddings[row++]);
            }
        });
    return result;
}

EmbedResult runEmbedTexts(
    const std::string &model, const std::vector<std::string> &texts, const ComputeOptions &compute, JobContext &ctx)
{
    Session s = openSession(model, compute, ctx);
    EmbedResult result;
    result.dtype = s.dtype;
    ctx.report(0, static_cast<std::int64_t>(texts.size()), "embedding");
    const auto e = s.rt->embedTexts(texts, 64, [&ctx] { return ctx.isCancelled(); }).to(torch::kCPU);
    for (std::int64_t i = 0; i < e.size(0); ++i)
        result.embeddings.push_back(rowToVector(e[i]));
    result.errors.assign(texts.size(), "");
    ctx.report(static_cast<std::int64_t>(texts.size()), static_cast<std::int64_t>(texts.size()), "embedding");
    return result;
}

std::string plural(std::size_t n, const char *what)
{
    return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}

} // namespace

Job makeClassifyJob(ClassifyRequest request)
{
    return {"Classify " + plural(request.images.size(), "image"), Lane::Inference,
        [req = std::move(request)](JobContext &ctx) -> std::any { return runClassify(req, ctx); }};
}

Job makeEvaluateJob(EvaluateRequest request)
{
    return {"Evaluate " + fs::path(request.folder).filename().string(), Lane::Inference,
        [req = std::move(request)](JobContext &ctx) -> std::any { return runEvaluate(req, ctx); }};
}

Job makeEmbedImagesJob(std::string model, std::vector<std::string> images, ComputeOptions compute)
{
    return {"Embed " + plural(images.size(), "image"), Lane::Inference,
        [model = std::move(model), images = std::move(images), compute](
            JobContext &ctx) -> std::any { return runEmbedImages(model, images, compute, ctx); }};
}

Job makeEmbedTextsJob(std::string model, std::vector<std::string> texts, ComputeOptions compute)
{
    return {"Embed " + plural(texts.size(), "text"), Lane::Inference,
        [model = std::move(model), texts = std::move(texts), compute](
            JobContext &ctx) -> std::any { return runEmbedTexts(model, texts, compute, ctx); }};
}

Job makeTokenizeJob(std::string model, std::vector<std::string> texts)
{
    return {"Tokenize " + plural(texts.size(), "text"), Lane::Io,
        [model = std::move(model), texts = std::move(texts)](JobContext &) -> std::any {
            const auto tokenizer = clip::loadClipTokenizer(resolveModelPath(model));
            const auto enc = tokenizer.encodeBatch(texts, text::Padding::MaxLength);
            return TokenizeResult {enc.inputIds, enc.attentionMask};
        }};
}

} // namespace ml
