// VQA evaluation of any BLIP-2 through its runtime (the folder's own image processor and prompt
// ids), batched greedy answers, on a vqa.json folder or the generated sets the trainer uses.
#include "engine/vqa_eval_service.h"

#include "common/error.h"
#include "engine/model_cache.h"
#include "engine/model_discovery.h"
#include "io/checkpoint.h"
#include "io/media.h"
#include "models/blip2/blip2_runtime.h"
#include "models/blip2/vqa_eval.h"
#include "train/blip2_data.h"
#include "train/fashion_mnist.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>

namespace ml {

namespace fs = std::filesystem;

namespace {

// vqa.json: [{"file", "question", "answer", "type"}], files relative to the folder.
std::vector<train::VqaItem> folderItems(const fs::path &dir)
{
    const fs::path file = dir / "vqa.json";
    if (!fs::is_regular_file(file))
        throw Error(dir.string() + ": no vqa.json (a VQA folder holds images and vqa.json)");
    const nlohmann::json j = io::readJsonFile(file);
    if (!j.is_array())
        throw Error(file.string() + ": expected a JSON array of {\"file\", \"question\", \"answer\", \"type\"}");
    std::vector<train::VqaItem> items;
    for (std::size_t i = 0; i < j.size(); ++i) {
        const auto &e = j[i];
        const auto text = [&](const char *key, bool required) -> std::string {
            if (e.is_object() && e.contains(key) && e.at(key).is_string())
                return e.at(key).get<std::string>();
            if (required)
                throw Error(file.string() + ": item " + std::to_string(i) + " has no \"" + key + "\" string");
            return "";
        };
        train::VqaItem item;
        item.file = text("file", true);
        item.question = text("question", true);
        item.answer = text("answer", true);
        item.type = text("type", false);
        if (item.type.empty())
            item.type = "all";
        item.image = io::loadImage(dir / item.file); // throws naming the file
        items.push_back(std::move(item));
    }
    if (items.empty())
        throw Error(file.string() + ": holds no questions");
    return items;
}

} // namespace

VqaEvalResult evaluateVqa(const VqaEvalRequest &request, JobContext *ctx)
{
    if (request.folder.empty() && request.shapes <= 0 && request.fashion <= 0)
        throw Error("eval vqa needs a set: a folder with vqa.json, Shapes World items or Fashion-MNIST images");
    const auto t0 = std::chrono::steady_clock::now();
    const auto cancelled = [ctx] { return ctx && ctx->isCancelled(); };
    std::optional<ModelCache> own; // called without a job: a cache of its own
    const std::string dtype = resolveDtype(request.compute, Workload::Language),
                      device = resolveDevice(request.compute);
    if (ctx)
        ctx->report(0, 0, "loading model");
    const auto runtime = blip2::acquireBlip2Runtime(
        ctx ? ctx->models() : own.emplace(), resolveModelPath(request.model), dtype, device);

    if (ctx)
        ctx->report(0, 0, "preparing questions");
    std::vector<train::VqaItem> items;
    if (!request.folder.empty())
        items = folderItems(request.folder);
    if (request.shapes > 0) {
        auto shapes
            = train::shapesVqaSet(request.seed, request.shapes, std::max(1, request.shapes / 5), request.augmented);
        items.insert(items.end(), std::make_move_iterator(shapes.begin()), std::make_move_iterator(shapes.end()));
    }
    if (request.fashion > 0) {
        const fs::path dir = request.fashionMnistDir.empty() ? train::FashionMnist::defaultFolder()
                                                             : fs::path(request.fashionMnistDir);
        auto fashion = train::fashionVqaSet(train::FashionMnist::load(train::FashionSplit::Test, dir), request.fashion);
        items.insert(items.end(), std::make_move_iterator(fashion.begin()), std::make_move_iterator(fashion.end()));
    }

    const blip2::Blip2ImageProcessor &processor = runtime->processor();
    std::vector<torch::Tensor> pixels;
    std::vector<std::vector<std::int64_t>> promptIds;
    for (const train::VqaItem &item : items) {
        pixels.push_back(processor(item.image.pixels.data(), item.image.height, item.image.width)); // [1, 3, S, S]
        promptIds.push_back(runtime->encodePrompt(train::vqaPrompt(item.question)));
    }
    if (cancelled())
        throw Cancelled();

    const auto N = static_cast<std::int64_t>(items.size());
    blip2::GreedyOptions options;
    options.maxNewTokens = request.maxNewTokens;
    options.chunk = std::max(1, request.batchSize);
    options.cancelled = cancelled;
    options.progress = [ctx, N](std::int64_t done) {
        if (ctx)
            ctx->report(done, N, "answering");
    };
    if (ctx)
        ctx->report(0, N, "answering");
    const auto answers
        = blip2::greedyAnswers(*runtime->model(), runtime->tokenizer(), torch::cat(pixels), promptIds, options);
    if (!answers)
        throw Cancelled();

    std::vector<std::string> predicted;
    for (const auto &a : *answers)
        predicted.push_back(a.text);
    const train::VqaScores s = train::scoreVqa(items, predicted);
    VqaEvalResult r;
    r.model = runtime->name();
    r.dtype = dtype;
    r.device = device;
    std::int64_t good = 0;
    for (std::size_t i = 0; i < items.size(); ++i)
        if (!items[i].heldOut) {
            ++r.n;
            good += s.correct[i] ? 1 : 0;
        }
    r.overall = r.n > 0 ? static_cast<double>(good) / static_cast<double>(r.n) : -1.0;
    r.perType = s.perType;
    r.perTypeN = s.perTypeN;
    r.heldOut = s.heldOut;
    r.heldOutN = s.heldOutN;
    if (request.shapes > 0) {
        r.shapes = s.shapes;
        r.shapesN = s.shapesN;
    }
    if (request.fashion > 0) {
        r.fashion = s.fashion;
        r.fashionN = s.fashionN;
    }
    for (std::size_t i = 0; i < items.size(); ++i)
        r.items.push_back({items[i].file, items[i].question, items[i].answer, items[i].type, predicted[i],
            static_cast<bool>(s.correct[i]), items[i].heldOut});
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
}

Job makeVqaEvalJob(VqaEvalRequest request)
{
    Job job;
    job.name = "VQA evaluation (" + request.model + ")";
    job.lane = Lane::Inference;
    job.run = [request = std::move(request)](JobContext &ctx) -> std::any { return evaluateVqa(request, &ctx); };
    return job;
}

} // namespace ml
