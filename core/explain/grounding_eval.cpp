// `eval grounding` (grounding_service.h): the pointing game and the deletion test of the three
// per-word maps on fixed Shapes World images, answered by a LLaVA.
#include "common/error.h"
#include "engine/grounding_service.h"
#include "engine/model_discovery.h"
#include "explain/grounding_maps.h"
#include "models/llava/llava_chat.h"
#include "models/lm/generate.h"
#include "models/lm/still_image.h"
#include "train/blip2_data.h"
#include "train/llava_data.h"
#include "train/shapes_world.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <numeric>
#include <random>

namespace ml {

namespace {

struct Question {
    std::string text, answer;
    train::Box box;
};

// "what color is the {shape}?" for each object whose shape is unique, "what shape is the {colour}
// object?" for each whose colour is.
std::vector<Question> questionsOf(const train::Scene &scene)
{
    std::vector<Question> out;
    const auto &objects = scene.objects;
    for (const auto &o : objects) {
        const auto sameShape
            = std::count_if(objects.begin(), objects.end(), [&](const auto &p) { return p.shape == o.shape; });
        const auto sameColour
            = std::count_if(objects.begin(), objects.end(), [&](const auto &p) { return p.colour == o.colour; });
        if (sameShape == 1)
            out.push_back({std::string("what color is the ") + train::shapeName(o.shape) + "?",
                train::colourName(o.colour), o.bounds()});
        if (sameColour == 1)
            out.push_back({std::string("what shape is the ") + train::colourName(o.colour) + " object?",
                train::shapeName(o.shape), o.bounds()});
    }
    return out;
}

bool touches(int cell, int gridW, double size, const train::Box &b)
{
    const int r = cell / gridW, c = cell % gridW;
    return c * size < b.x1 && b.x0 < (c + 1) * size && r * size < b.y1 && b.y0 < (r + 1) * size;
}

struct Scores {
    int pointSingle = 0, pointTwo = 0, trials = 0;
    double beats = 0, drop = 0, randomDrop = 0; // beats: each trial adds the share of random sets it beats
    GroundingMethodScores finish(int single, int two) const
    {
        GroundingMethodScores s;
        s.pointingSingle = single ? static_cast<double>(pointSingle) / single : 0.0;
        s.pointingTwo = two ? static_cast<double>(pointTwo) / two : 0.0;
        s.deletionBeatsRandom = trials ? beats / trials : 0.0;
        s.meanDrop = trials ? drop / trials : 0.0;
        s.meanRandomDrop = trials ? randomDrop / trials : 0.0;
        return s;
    }
};

class Evaluator {
public:
    Evaluator(llava::LlavaRuntime &rt, const GroundingEvalOptions &o) : m_rt(rt), m_o(o), m_rng(o.seed) { }

    // The caption of a two-object image: every word naming one object alone (a colour or a shape
    // no other object has) is a trial of the pointing game on that object's box.
    void describe(const io::RgbImage &image, const train::Scene &scene, GroundingEvalResult &r)
    {
        torch::NoGradGuard noGrad;
        const auto pixels = m_rt.pixels(image.pixels.data(), image.height, image.width);
        const auto ids = m_rt.encodePrompt(llava::LlavaRuntime::formatPrompt({}, train::kLlavaCaptionPrompt));
        const auto merged = m_rt.model()->merge(ids, m_rt.imageEmbeds(pixels));
        auto &lm = *m_rt.model()->languageModel();
        const auto gen = generate(merged, 24);
        if (gen.ids.empty())
            return;
        const auto maps = explain::groundingMaps(lm, merged, gen.ids, true);
        const int gridW = static_cast<int>(m_rt.config().vision.gridSize());
        const double cell = static_cast<double>(image.width) / gridW;
        const auto &objects = scene.objects;
        for (const auto &w : groupWords(gen.tokens)) {
            const train::ShapeObject *named = nullptr;
            int matches = 0;
            for (const auto &o : objects)
                if (w.text == train::colourName(o.colour) || w.text == train::shapeName(o.shape)) {
                    named = &o;
                    ++matches;
                }
            if (matches != 1)
                continue;
            ++r.twoCounted;
            const auto box = named->bounds();
            int touching = 0;
            for (int c = 0; c < gridW * gridW; ++c)
                touching += touches(c, gridW, cell, box);
            r.chanceTwo += static_cast<double>(touching) / (gridW * gridW);
            const torch::Tensor byMethod[3]
                = {maps.attention.mean(at::IntArrayRef {1, 2}), maps.relevancy, maps.corrected};
            for (int m = 0; m < 3; ++m) {
                const auto map = byMethod[m].narrow(0, w.firstToken, w.endToken - w.firstToken).mean(0);
                m_scores[m].pointTwo += touches(static_cast<int>(map.argmax().item<std::int64_t>()), gridW, cell, box);
            }
        }
    }

    // One question about one image; counts into the scores when the answer is right.
    void ask(const io::RgbImage &image, const Question &q, bool two, GroundingEvalResult &r)
    {
        torch::NoGradGuard noGrad;
        const auto pixels = m_rt.pixels(image.pixels.data(), image.height, image.width);
        const auto ids = m_rt.encodePrompt(llava::LlavaRuntime::formatPrompt({}, q.text));
        const auto merged = m_rt.model()->merge(ids, m_rt.imageEmbeds(pixels));
        auto &lm = *m_rt.model()->languageModel();
        const auto gen = generate(merged, 4);
        ++r.answers;
        if (gen.ids.empty() || !train::answerMatches(gen.text, q.answer))
            return;
        ++r.accuracy;
        ++m_deletionItems;
        if (!two)
            ++r.singleCounted;
        const auto words = groupWords(gen.tokens);
        const auto &w = words.front();
        const std::vector<std::int64_t> word(gen.ids.begin() + w.firstToken, gen.ids.begin() + w.endToken);
        const auto maps = explain::groundingMaps(lm, merged, word, true);
        const int gridW = static_cast<int>(m_rt.config().vision.gridSize());
        const int N = gridW * gridW;
        const double cell = static_cast<double>(image.width) / gridW;
        const double base = lm::continuationLogProb(lm, merged.embeds, word);
        const int k = std::max(1, static_cast<int>(std::lround(m_o.deletionFraction * N)));
        const auto randomDrops = dropsOfRandomSets(pixels, ids, word, base, k);
        int touching = 0;
        for (int c = 0; c < N; ++c)
            touching += touches(c, gridW, cell, q.box);
        if (!two)
            r.chanceSingle += static_cast<double>(touching) / N;
        const torch::Tensor byMethod[3] = {maps.attention.mean(at::IntArrayRef {1, 2}), maps.relevancy, maps.corrected};
        for (int m = 0; m < 3; ++m) {
            const auto map = byMethod[m].narrow(0, 0, w.endToken - w.firstToken).mean(0); // [N]
            const auto top = torch::argsort(map, 0, true).narrow(0, 0, k);
            std::vector<int> hide;
            for (std::int64_t i = 0; i < k; ++i)
                hide.push_back(static_cast<int>(top[i].item<std::int64_t>()));
            auto &s = m_scores[m];
            if (!two)
                s.pointSingle += touches(hide.front(), gridW, cell, q.box);
            const double drop = base - logProbHidden(pixels, ids, word, hide);
            for (double random : randomDrops) {
                s.beats += (drop > random ? 1.0 : 0.0) / static_cast<double>(randomDrops.size());
                s.randomDrop += random / static_cast<double>(randomDrops.size());
            }
            s.drop += drop;
            ++s.trials;
        }
    }

    void finish(GroundingEvalResult &r) const
    {
        const int single = r.singleCounted, two = r.twoCounted;
        r.accuracy = r.answers ? r.accuracy / r.answers : 0.0;
        r.chanceSingle = single ? r.chanceSingle / single : 0.0;
        r.chanceTwo = two ? r.chanceTwo / two : 0.0;
        r.attention = m_scores[0].finish(single, two);
        r.relevancy = m_scores[1].finish(single, two);
        r.corrected = m_scores[2].finish(single, two);
    }

private:
    lm::Generation generate(const llava::MergedPrompt &merged, int maxTokens)
    {
        lm::GenerateOptions g;
        g.sampling.maxNewTokens = maxTokens;
        g.eosId = m_rt.eosId();
        g.decode = [&](const std::vector<std::int64_t> &v) { return m_rt.decode(v); };
        g.tokenText = [&](std::int64_t id) { return m_rt.tokenText(id); };
        return lm::generate(*m_rt.model()->languageModel(), merged.embeds, g);
    }

    // The word's log-probability with these patches painted in the picture's background colour:
    // hidden, not covered by a grey square that is itself a new object on Shapes World's dark ground.
    double logProbHidden(const torch::Tensor &pixels, const std::vector<std::int64_t> &ids,
        const std::vector<std::int64_t> &word, const std::vector<int> &hide)
    {
        auto hidden = pixels.clone();
        lm::hidePatches(hidden, hide, static_cast<int>(m_rt.config().vision.patch_size), lm::borderColour(pixels));
        const auto merged = m_rt.model()->merge(ids, m_rt.imageEmbeds(hidden));
        return lm::continuationLogProb(*m_rt.model()->languageModel(), merged.embeds, word);
    }

    // The drops of `randomDraws` sets of k random patches: each is compared with the map's own.
    std::vector<double> dropsOfRandomSets(const torch::Tensor &pixels, const std::vector<std::int64_t> &ids,
        const std::vector<std::int64_t> &word, double base, int k)
    {
        const auto grid = m_rt.config().vision.gridSize();
        std::vector<int> order(static_cast<std::size_t>(grid * grid));
        std::vector<double> drops;
        for (int d = 0; d < m_o.randomDraws; ++d) {
            std::iota(order.begin(), order.end(), 0);
            std::shuffle(order.begin(), order.end(), m_rng);
            drops.push_back(base - logProbHidden(pixels, ids, word, {order.begin(), order.begin() + k}));
        }
        return drops;
    }

    llava::LlavaRuntime &m_rt;
    const GroundingEvalOptions &m_o;
    std::mt19937_64 m_rng;
    Scores m_scores[3];
    int m_deletionItems = 0;
};

GroundingEvalResult runEval(const GroundingEvalOptions &o, JobContext &ctx)
{
    at::get_num_threads();
    if (o.images < 2 || o.deletionFraction <= 0 || o.deletionFraction >= 1)
        throw Error("--images must be at least 2 and the deletion fraction in (0, 1)");
    if (o.randomDraws < 1 || o.randomDraws > 100)
        throw Error("--random-draws must be between 1 and 100");
    const auto start = std::chrono::steady_clock::now();
    GroundingEvalResult r;
    r.dtype = resolveDtype(o.compute, Workload::Language);
    ctx.report(0, o.images, kChatStageLoading);
    auto rt = llava::acquireLlavaRuntime(ctx.models(), resolveModelPath(o.model), r.dtype, resolveDevice(o.compute));
    r.modelName = rt->name();
    train::ShapesWorldOptions one, pair;
    one.minObjects = one.maxObjects = 1;
    pair.minObjects = pair.maxObjects = 2;
    const train::ShapesWorld singles(o.seed, one), pairs(o.seed + 1, pair);
    Evaluator eval(*rt, o);
    for (int i = 0; i < o.images; ++i) {
        ctx.throwIfCancelled();
        const bool two = i >= o.images / 2;
        const auto s = (two ? pairs : singles).sample(static_cast<std::uint64_t>(i));
        for (const auto &q : questionsOf(s.scene))
            eval.ask(s.image, q, two, r);
        if (two)
            eval.describe(s.image, s.scene, r);
        ++r.images;
        ctx.report(i + 1, o.images, "measuring");
    }
    eval.finish(r);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return r;
}

} // namespace

Job makeGroundingEvalJob(GroundingEvalOptions options)
{
    return {"Evaluate grounding", Lane::Inference,
        [o = std::move(options)](JobContext &ctx) -> std::any { return runEval(o, ctx); }};
}

} // namespace ml
