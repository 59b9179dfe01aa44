// `bench lm`: greedy decoding at batch 1 through the shared runtime, on an OPT of a published
// shape with random weights (or a model folder's language model), prompt of random token ids.
#include "common/error.h"
#include "engine/chat_service.h"
#include "engine/model_discovery.h"
#include "models/blip2/blip2_runtime.h"
#include "models/lm/generate.h"
#include "models/lm/huge_pages.h"

#include <torch/torch.h>

#include <fstream>
#include <sstream>

namespace ml {

namespace {

blip2::OptConfig optShape(const std::string &shape)
{
    blip2::OptConfig c; // the defaults are OPT-125m's
    if (shape == "opt-125m")
        return c;
    if (shape == "opt-2.7b") {
        c.hidden_size = 2560;
        c.ffn_dim = 10240;
        c.num_hidden_layers = 32;
        c.num_attention_heads = 32;
        return c;
    }
    throw Error("unknown shape '" + shape + "' (expected opt-125m or opt-2.7b)");
}

double peakRssMb()
{
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmHWM:", 0) == 0) {
            std::istringstream s(line.substr(6));
            double kb = 0;
            s >> kb;
            return kb / 1024.0;
        }
    return 0.0;
}

LmBenchResult runLmBench(const LmBenchOptions &o, JobContext &ctx)
{
    at::get_num_threads();
    if (o.promptTokens <= 0 || o.newTokens <= 0)
        throw Error("--prompt-tokens and --new-tokens must be positive");
    LmBenchResult r;
    r.device = resolveDevice(o.compute);
    r.dtype = resolveDtype(o.compute, Workload::Language);
    const auto dtype = r.dtype == "bf16" ? torch::kBFloat16 : r.dtype == "fp16" ? torch::kHalf : torch::kFloat;
    ctx.report(0, 0, "building model");
    std::shared_ptr<blip2::Blip2Runtime> rt;
    std::shared_ptr<blip2::OptForCausalLmImpl> own;
    lm::CausalLm *lm = nullptr;
    if (!o.model.empty()) {
        rt = blip2::acquireBlip2Runtime(ctx.models(), resolveModelPath(o.model), r.dtype, r.device);
        lm = rt->model()->languageModel().get();
        r.shape = rt->name();
        r.parameters = rt->config().text.parameterCount();
    } else {
        torch::NoGradGuard noGrad;
        const auto cfg = optShape(o.shape);
        torch::manual_seed(2024);
        own = std::make_shared<blip2::OptForCausalLmImpl>(cfg, dtype);
        own->to(torch::Device(r.device));
        own->eval();
        lm::moveToHugePages(own->parameters());
        lm = own.get();
        r.shape = o.shape;
        r.parameters = cfg.parameterCount();
    }
    if (o.promptTokens + o.newTokens > lm->maxPositions())
        throw Error("prompt + new tokens exceed the model's " + std::to_string(lm->maxPositions()) + " positions");
    const auto opts = torch::TensorOptions().dtype(torch::kLong).device(torch::Device(r.device));
    const auto ids = torch::randint(4, lm->vocabSize(), {1, o.promptTokens}, opts);
    torch::Tensor prompt;
    {
        torch::NoGradGuard noGrad;
        prompt = lm->embedTokens(ids);
    }
    lm::GenerateOptions g;
    g.decode = [](const std::vector<std::int64_t> &v) { return std::to_string(v.size()); };
    g.tokenText = [](std::int64_t) { return std::string(); };
    g.cancelled = [&] { return ctx.isCancelled(); };
    g.sampling.maxNewTokens = 4; // warm-up: first-call allocations and kernel selection
    ctx.report(0, o.newTokens, "warm-up");
    lm::generate(*lm, prompt, g);
    g.sampling.maxNewTokens = o.newTokens;
    g.onToken = [&](const ChatToken &t) { ctx.report(t.index + 1, o.newTokens, "decoding"); };
    const auto out = lm::generate(*lm, prompt, g);
    if (out.stopReason == "cancelled")
        throw Cancelled();
    r.firstTokenMs = out.firstTokenMs;
    r.tokensPerS = out.tokensPerS;
    r.peakRssMb = peakRssMb();
    r.threads = at::get_num_threads();
    return r;
}

} // namespace

Job makeLmBenchJob(LmBenchOptions options)
{
    return {"Benchmark language model", Lane::Inference,
        [o = std::move(options)](JobContext &ctx) -> std::any { return runLmBench(o, ctx); }};
}

} // namespace ml
