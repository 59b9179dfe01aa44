// VQA evaluation of any BLIP-2 or LLaVA through its runtime (the folder's own image processor and
// prompt ids; LLaVA's chat format), greedy answers, on a vqa.json folder or the generated sets the
// trainers use, and the two-object caption check.
#include "engine/vqa_eval_service.h"

#include "common/error.h"
#include "engine/chat_service.h"
#include "engine/model_cache.h"
#include "engine/model_discovery.h"
#include "io/checkpoint.h"
#include "io/media.h"
#include "models/blip2/blip2_runtime.h"
#include "models/blip2/vqa_eval.h"
#include "models/llava/llava_runtime.h"
#include "train/blip2_data.h"
#include "train/fashion_mnist.h"
#include "train/llava_answers.h"
#include "train/llava_data.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
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
#ifdef MODALLENS_HAVE_MEDIA
        item.image = io::loadImage(dir / item.file); // throws naming the file
#else
        throw Error((dir / item.file).string() + ": this build has no image decoding (MODALLENS_MEDIA=OFF)");
#endif
        items.push_back(std::move(item));
    }
    if (items.empty())
        throw Error(file.string() + ": holds no questions");
    return items;
}

// One call's questions: (image, question) pairs, the question "" asking for a caption.
struct AnswerBatch {
    std::vector<const io::RgbImage *> images;
    std::vector<std::string> questions;
    int maxNewTokens = 8;
    int chunk = 64;
    std::function<bool()> cancelled;
    std::function<void(std::int64_t done)> progress;
};

std::vector<std::string> texts(const auto &answers)
{
    if (!answers)
        throw Cancelled();
    std::vector<std::string> out;
    for (const auto &a : *answers)
        out.push_back(a.text);
    return out;
}

std::vector<std::string> blip2Answers(blip2::Blip2Runtime &rt, const AnswerBatch &b)
{
    std::vector<torch::Tensor> pixels;
    std::vector<std::vector<std::int64_t>> promptIds;
    for (std::size_t i = 0; i < b.images.size(); ++i) {
        pixels.push_back(rt.processor()(b.images[i]->pixels.data(), b.images[i]->height, b.images[i]->width));
        promptIds.push_back(rt.encodePrompt(b.questions[i].empty() ? "" : train::vqaPrompt(b.questions[i])));
    }
    blip2::GreedyOptions o;
    o.maxNewTokens = b.maxNewTokens;
    o.chunk = b.chunk;
    o.cancelled = b.cancelled;
    o.progress = b.progress;
    return texts(blip2::greedyAnswers(*rt.model(), rt.tokenizer(), torch::cat(pixels), promptIds, o));
}

// LLaVA: the chat's format and decoder (llava-1.5's "USER: <image>\n{q} ASSISTANT:").
std::vector<std::string> llavaAnswers(llava::LlavaRuntime &rt, const AnswerBatch &b)
{
    std::vector<torch::Tensor> pixels;
    std::vector<std::vector<std::int64_t>> promptIds;
    for (std::size_t i = 0; i < b.images.size(); ++i) {
        pixels.push_back(rt.pixels(b.images[i]->pixels.data(), b.images[i]->height, b.images[i]->width));
        const std::string q = b.questions[i].empty() ? std::string(train::kLlavaCaptionPrompt) : b.questions[i];
        promptIds.push_back(rt.encodePrompt(llava::LlavaRuntime::formatPrompt({}, q)));
    }
    train::LlavaAnswerOptions o;
    o.maxNewTokens = b.maxNewTokens;
    o.chunk = b.chunk;
    o.cancelled = b.cancelled;
    o.progress = b.progress;
    return texts(train::llavaGreedyAnswers(*rt.model(), rt.tokenizer(), torch::cat(pixels), promptIds, o));
}

struct Answerer {
    std::string name;
    std::function<std::vector<std::string>(const AnswerBatch &)> answer;
};

// The folder's family decides: LLaVA, or BLIP-2 (whose loader names anything else it cannot read).
Answerer loadAnswerer(const std::string &model, ModelCache &cache, const std::string &dtype, const std::string &device)
{
    const std::string folder = resolveModelPath(model);
    if (familyOfFolder(folder) == ModelFamily::Llava) {
        auto rt = llava::acquireLlavaRuntime(cache, folder, dtype, device);
        return {rt->name(), [rt](const AnswerBatch &b) { return llavaAnswers(*rt, b); }};
    }
    auto rt = blip2::acquireBlip2Runtime(cache, folder, dtype, device);
    return {rt->name(), [rt](const AnswerBatch &b) { return blip2Answers(*rt, b); }};
}

std::vector<train::VqaItem> generatedItems(const VqaEvalRequest &request)
{
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
    return items;
}

void scoreQuestions(const std::vector<train::VqaItem> &items, const std::vector<std::string> &predicted,
    const VqaEvalRequest &request, VqaEvalResult &r)
{
    const train::VqaScores s = train::scoreVqa(items, predicted);
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
}

// "red circle and blue square": what a caption of the scene has to name.
std::string objectsOf(const train::Scene &scene)
{
    std::string out;
    for (const train::ShapeObject &o : scene.objects) {
        if (!out.empty())
            out += " and ";
        out += train::colourName(o.colour);
        out += ' ';
        out += train::shapeName(o.shape);
    }
    return out;
}

void scoreCaptions(const std::vector<train::CaptionItem> &set, const std::vector<std::string> &predicted,
    const std::string &prompt, VqaEvalResult &r)
{
    std::int64_t good = 0;
    for (std::size_t i = 0; i < set.size(); ++i) {
        const bool ok = train::captionNamesEveryObject(predicted[i], set[i].scene);
        good += ok ? 1 : 0;
        r.items.push_back({"", prompt, objectsOf(set[i].scene), train::kLlavaCaptionType, predicted[i], ok, false});
    }
    r.captionsN = static_cast<std::int64_t>(set.size());
    r.captions = static_cast<double>(good) / static_cast<double>(set.size());
}

} // namespace

VqaEvalResult evaluateVqa(const VqaEvalRequest &request, JobContext *ctx)
{
    if (request.folder.empty() && request.shapes <= 0 && request.fashion <= 0 && request.captions <= 0)
        throw Error(
            "eval vqa needs a set: a folder with vqa.json, Shapes World items, Fashion-MNIST images or captions");
    const auto t0 = std::chrono::steady_clock::now();
    std::optional<ModelCache> own; // called without a job: a cache of its own
    const std::string dtype = resolveDtype(request.compute, Workload::Language),
                      device = resolveDevice(request.compute);
    if (ctx)
        ctx->report(0, 0, "preparing questions");
    const std::vector<train::VqaItem> items = generatedItems(request);
    const auto captionScenes = train::captionSet(request.seed, std::max(0, request.captions));
    const auto total = static_cast<std::int64_t>(items.size() + captionScenes.size());
    if (ctx)
        ctx->report(0, 0, "loading model");
    const Answerer model = loadAnswerer(request.model, ctx ? ctx->models() : own.emplace(), dtype, device);
    if (ctx)
        ctx->report(0, total, "answering");
    const auto batch = [&](std::int64_t before, int maxNewTokens) {
        AnswerBatch b;
        b.maxNewTokens = maxNewTokens;
        b.chunk = std::max(1, request.batchSize);
        b.cancelled = [ctx] { return ctx && ctx->isCancelled(); };
        b.progress = [ctx, total, before](std::int64_t done) {
            if (ctx)
                ctx->report(before + done, total, "answering");
        };
        return b;
    };

    VqaEvalResult r;
    r.model = model.name;
    r.dtype = dtype;
    r.device = device;
    if (!items.empty()) {
        AnswerBatch b = batch(0, request.maxNewTokens);
        for (const train::VqaItem &item : items) {
            b.images.push_back(&item.image);
            b.questions.push_back(item.question);
        }
        scoreQuestions(items, model.answer(b), request, r);
    }
    if (!captionScenes.empty()) {
        AnswerBatch b = batch(static_cast<std::int64_t>(items.size()), std::max(32, request.maxNewTokens));
        for (const train::CaptionItem &c : captionScenes)
            b.images.push_back(&c.image);
        b.questions.resize(b.images.size());
        const bool llava = familyOfFolder(resolveModelPath(request.model)) == ModelFamily::Llava;
        scoreCaptions(captionScenes, model.answer(b), llava ? train::kLlavaCaptionPrompt : "", r);
    }
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
