// `bench qformer`: is the Q-Former inspector faithful? Two checks on fixed single-object Shapes
// World images asked for the object's colour: does the answer word's map (through the queries
// the language model attended to) peak on the object, and do the queries that ablation ranks
// first matter more than random ones when removed together.
#include "common/error.h"
#include "engine/chat_service.h"
#include "engine/model_discovery.h"
#include "models/blip2/blip2_runtime.h"
#include "models/lm/generate.h"
#include "train/shapes_world.h"

#include <torch/torch.h>

#include <algorithm>
#include <numeric>
#include <random>

namespace ml {

namespace {

struct Cell {
    double x0, y0, x1, y1;
};

Cell cellBox(int index, int gridW, double cell)
{
    const int r = index / gridW, c = index % gridW;
    return {c * cell, r * cell, (c + 1) * cell, (r + 1) * cell};
}

bool touches(const Cell &c, const train::Box &b)
{
    return c.x0 < b.x1 && b.x0 < c.x1 && c.y0 < b.y1 && b.y0 < c.y1;
}

double answerLogProb(blip2::Blip2Runtime &rt, const torch::Tensor &queries, const std::vector<std::int64_t> &prompt,
    const std::vector<std::int64_t> &answer, const std::vector<int> &zeroed)
{
    auto qs = queries.clone();
    for (int q : zeroed)
        qs[0][q].zero_();
    return lm::continuationLogProb(*rt.model()->languageModel(), rt.promptEmbeds(qs, prompt), answer);
}

QFormerFaithfulnessResult runFaithfulness(const QFormerFaithfulnessOptions &o, JobContext &ctx)
{
    at::get_num_threads();
    if (o.images <= 0 || o.topQueries <= 0)
        throw Error("--images and the number of queries must be positive");
    QFormerFaithfulnessResult r;
    r.dtype = resolveDtype(o.compute, Workload::Language);
    ctx.report(0, o.images, kChatStageLoading);
    auto rt = blip2::acquireBlip2Runtime(ctx.models(), resolveModelPath(o.model), r.dtype, resolveDevice(o.compute));
    r.modelName = rt->name();
    const int Q = static_cast<int>(rt->config().num_query_tokens);
    if (o.topQueries >= Q)
        throw Error("the model has " + std::to_string(Q) + " queries: fewer than the " + std::to_string(o.topQueries)
            + " to remove plus one");
    train::ShapesWorldOptions opts;
    opts.minObjects = opts.maxObjects = 1;
    const train::ShapesWorld world(o.seed, opts);
    std::mt19937_64 rng(o.seed);
    int right = 0, onObject = 0, onObjectVision = 0, onObjectUniform = 0, beats = 0;
    double chance = 0, topDrop = 0, randomDrop = 0;
    torch::NoGradGuard noGrad;
    for (int i = 0; i < o.images; ++i) {
        ctx.throwIfCancelled();
        const auto s = world.sample(static_cast<std::uint64_t>(i));
        const auto &obj = s.scene.objects.front();
        const auto pixels = rt->processor()(s.image.pixels.data(), s.image.height, s.image.width);
        const auto qf = blip2::inspectQFormer(*rt, pixels);
        const auto prompt = rt->encodePrompt(blip2::Blip2Runtime::formatPrompt(
            {}, std::string("what color is the ") + train::shapeName(obj.shape) + "?"));
        const auto queries = rt->queryEmbeds(pixels);
        lm::GenerateOptions g;
        g.sampling.maxNewTokens = 4;
        g.eosId = rt->config().text.eos_token_id;
        g.decode = [&](const std::vector<std::int64_t> &ids) { return rt->decode(ids); };
        g.tokenText = [&](std::int64_t id) { return rt->tokenText(id); };
        g.attentions = true;
        g.attendEnd = Q;
        const auto gen = lm::generate(*rt->model()->languageModel(), rt->promptEmbeds(queries, prompt), g);
        if (gen.ids.empty())
            continue;
        std::string answer = gen.text;
        answer.erase(0, answer.find_first_not_of(' '));
        right += answer.rfind(train::colourName(obj.colour), 0) == 0;

        ImageAttention att;
        const auto a = gen.attention.contiguous();
        att.tokens = static_cast<int>(a.size(0));
        att.layers = static_cast<int>(a.size(1));
        att.heads = static_cast<int>(a.size(2));
        att.positions = static_cast<int>(a.size(3));
        att.values.assign(a.data_ptr<float>(), a.data_ptr<float>() + a.numel());
        const double cell = static_cast<double>(train::kCanvasSize) / qf.gridW;
        const auto box = obj.bounds();
        auto peakOnObject = [&](PatchSpace space) {
            const auto map = wordQueryPatchMap(qf, att, 0, -1, space);
            const int top = static_cast<int>(std::max_element(map.begin(), map.end()) - map.begin());
            return touches(cellBox(top, qf.gridW, cell), box);
        };
        onObject += peakOnObject(PatchSpace::Direct);
        onObjectVision += peakOnObject(PatchSpace::ThroughVision);
        { // control: every position attended alike, carried through the rollout (no Q-Former in it)
            const std::size_t P = static_cast<std::size_t>(qf.patches);
            std::vector<float> uniform(qf.gridH * qf.gridW, 0.0f);
            for (std::size_t i = 0; i < P; ++i)
                for (std::size_t j = 1; j < P; ++j)
                    uniform[j - 1] += qf.visionRollout[i * P + j];
            const int top = static_cast<int>(std::max_element(uniform.begin(), uniform.end()) - uniform.begin());
            onObjectUniform += touches(cellBox(top, qf.gridW, cell), box);
        }
        int touching = 0;
        for (int c = 0; c < qf.gridH * qf.gridW; ++c)
            touching += touches(cellBox(c, qf.gridW, cell), box);
        chance += static_cast<double>(touching) / (qf.gridH * qf.gridW);

        const std::vector<std::int64_t> answerIds(gen.ids.begin(), gen.ids.begin() + 1); // the colour word
        const double base = answerLogProb(*rt, queries, prompt, answerIds, {});
        std::vector<double> drop(static_cast<std::size_t>(Q));
        for (int q = 0; q < Q; ++q)
            drop[q] = base - answerLogProb(*rt, queries, prompt, answerIds, {q});
        std::vector<int> order(static_cast<std::size_t>(Q));
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](int x, int y) { return drop[x] > drop[y]; });
        const std::vector<int> best(order.begin(), order.begin() + o.topQueries);
        std::shuffle(order.begin(), order.end(), rng);
        const std::vector<int> random(order.begin(), order.begin() + o.topQueries);
        const double dBest = base - answerLogProb(*rt, queries, prompt, answerIds, best);
        const double dRandom = base - answerLogProb(*rt, queries, prompt, answerIds, random);
        beats += dBest > dRandom;
        topDrop += dBest;
        randomDrop += dRandom;
        ++r.images;
        ctx.report(i + 1, o.images, "measuring");
    }
    const double n = std::max(1, r.images);
    r.answerAccuracy = right / n;
    r.topPatchOnObject = onObject / n;
    r.topPatchOnObjectThroughVision = onObjectVision / n;
    r.uniformThroughVision = onObjectUniform / n;
    r.chanceOnObject = chance / n;
    r.ablationBeatsRandom = beats / n;
    r.meanTopDrop = topDrop / n;
    r.meanRandomDrop = randomDrop / n;
    return r;
}

} // namespace

Job makeQFormerFaithfulnessJob(QFormerFaithfulnessOptions options)
{
    return {"Q-Former faithfulness", Lane::Inference,
        [o = std::move(options)](JobContext &ctx) -> std::any { return runFaithfulness(o, ctx); }};
}

} // namespace ml
